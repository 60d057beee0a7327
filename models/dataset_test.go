package models

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// socksDecl is the socks table of config.yaml, as the importer declares it.
var socksDecl = []Column{
	{Name: "sku", Type: Text, NotNull: true},
	{Name: "name", Type: Text, NotNull: true},
	{Name: "price", Type: Decimal, Precision: 10, Scale: 2},
	{Name: "ratio", Type: Decimal},
	{Name: "quantity", Type: Integer},
	{Name: "weight", Type: Real},
	{Name: "in_stock", Type: Boolean},
	{Name: "updated_on", Type: Date},
	{Name: "counted_at", Type: Timestamp},
}

var stockDecl = []Column{
	{Name: "warehouse", Type: Text, NotNull: true},
	{Name: "sku", Type: Text, NotNull: true},
	{Name: "on_hand", Type: Integer, NotNull: true},
}

// tableColumn is a row of pragma_table_info.
type tableColumn struct {
	Name    string `bun:"name"`
	Type    string `bun:"type"`
	NotNull bool   `bun:"not_null"`
	PK      int    `bun:"pk"`
}

func pragmaColumns(t *testing.T, db *DB, table string) []tableColumn {
	t.Helper()
	var cols []tableColumn
	err := db.Bun.NewRaw(`SELECT name, type, "notnull" AS not_null, pk FROM pragma_table_info(?) ORDER BY cid`, table).
		Scan(context.Background(), &cols)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// indexSQL returns the CREATE statement SQLite keeps for an index, or ""
// if there is no such index on table.
// tableDDL is the CREATE TABLE statement SQLite keeps for table.
func tableDDL(t *testing.T, db *DB, table string) string {
	t.Helper()
	var sql string
	err := db.Bun.NewRaw(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(context.Background(), &sql)
	if err != nil {
		t.Fatal(err)
	}
	return sql
}

func execDDL(t *testing.T, db *DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Bun.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestDatasetEnsureCreates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		table   string
		cols    []Column
		key     []string
		want    []tableColumn
		wantSQL string // the table's DDL, its key the primary key
	}{
		{
			name: "single key", table: "socks", cols: socksDecl, key: []string{"sku"},
			want: []tableColumn{
				{Name: "sku", Type: "TEXT", NotNull: true, PK: 1},
				{Name: "name", Type: "TEXT", NotNull: true},
				{Name: "price", Type: "DECIMAL(10,2)"},
				{Name: "ratio", Type: "DECIMAL"},
				{Name: "quantity", Type: "BIGINT"},
				{Name: "weight", Type: "DOUBLE PRECISION"},
				{Name: "in_stock", Type: "BOOLEAN"},
				{Name: "updated_on", Type: "DATE"},
				{Name: "counted_at", Type: "DATETIME"},
			},
			wantSQL: `CREATE TABLE "socks" ("sku" TEXT NOT NULL, "name" TEXT NOT NULL, "price" DECIMAL(10,2), "ratio" DECIMAL, "quantity" BIGINT, "weight" DOUBLE PRECISION, "in_stock" BOOLEAN, "updated_on" DATE, "counted_at" DATETIME, PRIMARY KEY ("sku"))`,
		},
		{
			name: "composite key", table: "stock_levels", cols: stockDecl, key: []string{"warehouse", "sku"},
			want: []tableColumn{
				{Name: "warehouse", Type: "TEXT", NotNull: true, PK: 1},
				{Name: "sku", Type: "TEXT", NotNull: true, PK: 2},
				{Name: "on_hand", Type: "BIGINT", NotNull: true},
			},
			wantSQL: `CREATE TABLE "stock_levels" ("warehouse" TEXT NOT NULL, "sku" TEXT NOT NULL, "on_hand" BIGINT NOT NULL, PRIMARY KEY ("warehouse", "sku"))`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openTempDB(t)
			ds := NewDataset(db.Dialect, tt.table, tt.cols, tt.key)
			created, err := ensureTable(ctx, db.Bun, db.Dialect, ds)
			if err != nil || !created {
				t.Fatalf("first Ensure = %v, %v; want true, nil", created, err)
			}
			if got := pragmaColumns(t, db, tt.table); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("columns:\n got %+v\nwant %+v", got, tt.want)
			}
			if got := tableDDL(t, db, tt.table); got != tt.wantSQL {
				t.Errorf("table:\n got %q\nwant %q", got, tt.wantSQL)
			}
			info, err := db.Dialect.Inspect(ctx, db.Bun, tt.table)
			if err != nil {
				t.Fatal(err)
			}
			if want := [][]string{tt.key}; !info.Exists || !reflect.DeepEqual(info.Unique, want) || !reflect.DeepEqual(info.PrimaryKey, tt.key) {
				t.Errorf("Inspect = %+v, want Exists, PrimaryKey %v and Unique %v", info, tt.key, want)
			}
			// The second run finds the table and leaves it alone.
			created, err = ensureTable(ctx, db.Bun, db.Dialect, ds)
			if err != nil || created {
				t.Fatalf("second Ensure = %v, %v; want false, nil", created, err)
			}
			if got := pragmaColumns(t, db, tt.table); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("columns after second Ensure:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDatasetEnsureInTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTempDB(t)
	ds := NewDataset(db.Dialect, "socks", socksDecl, []string{"sku"})
	tx, err := db.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if created, err := ensureTable(ctx, tx, db.Dialect, ds); err != nil || !created {
		t.Fatalf("Ensure in tx = %v, %v; want true, nil", created, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// A rolled-back import leaves no table behind.
	if got := pragmaColumns(t, db, "socks"); len(got) != 0 {
		t.Errorf("table survived the rollback: %+v", got)
	}
}

func TestDatasetEnsureExisting(t *testing.T) {
	t.Parallel()
	const noIndex = "table socks: key (sku) has no unique index, so existing rows cannot be matched; " +
		"create one: CREATE UNIQUE INDEX socks_sku_key ON socks (sku)"
	const noStockIndex = "table stock_levels: key (warehouse, sku) has no unique index, so existing rows cannot be matched; " +
		"create one: CREATE UNIQUE INDEX stock_levels_warehouse_sku_key ON stock_levels (warehouse, sku)"
	socks := []Column{{Name: "sku", Type: Text, NotNull: true}, {Name: "name", Type: Text}, {Name: "price", Type: Decimal}}
	tests := []struct {
		name  string
		ddl   []string
		table string
		cols  []Column
		key   []string
		err   string // SchemaError text; "" means the table is usable
	}{
		{
			name:  "missing column",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, colour TEXT)`, `CREATE UNIQUE INDEX socks_sku ON socks (sku)`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: "table socks: declared column(s) price missing from the existing table (it has sku, name, colour); add them or fix config.yaml",
		},
		{
			name:  "two missing columns",
			ddl:   []string{`CREATE TABLE socks (sku TEXT PRIMARY KEY)`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: "table socks: declared column(s) name, price missing from the existing table (it has sku); add them or fix config.yaml",
		},
		{
			name:  "no unique index",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, price NUMERIC)`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: noIndex,
		},
		{
			name:  "plain index",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, price NUMERIC)`, `CREATE INDEX socks_sku ON socks (sku)`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: noIndex,
		},
		{
			name:  "partial unique index",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, price NUMERIC)`, `CREATE UNIQUE INDEX socks_sku ON socks (sku) WHERE sku IS NOT NULL`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: noIndex,
		},
		{
			name:  "unique index on more columns",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, price NUMERIC)`, `CREATE UNIQUE INDEX socks_sku_name ON socks (sku, name)`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: noIndex,
		},
		{
			// An expression index cannot match ON CONFLICT (sku); it must
			// be passed over, not break the inspection.
			name:  "unique expression index",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, price NUMERIC)`, `CREATE UNIQUE INDEX socks_lower_sku ON socks (lower(sku))`},
			table: "socks", cols: socks, key: []string{"sku"},
			err: noIndex,
		},
		{
			name:  "expression index beside the key index",
			ddl:   []string{`CREATE TABLE socks (sku TEXT, name TEXT, price NUMERIC)`, `CREATE UNIQUE INDEX socks_lower_name ON socks (lower(name))`, `CREATE UNIQUE INDEX socks_sku ON socks (sku)`},
			table: "socks", cols: socks, key: []string{"sku"},
		},
		{
			name:  "primary key",
			ddl:   []string{`CREATE TABLE socks (sku TEXT PRIMARY KEY, name TEXT, price NUMERIC)`},
			table: "socks", cols: socks, key: []string{"sku"},
		},
		{
			name:  "unique constraint",
			ddl:   []string{`CREATE TABLE socks (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, name TEXT, price NUMERIC, extra TEXT)`},
			table: "socks", cols: socks, key: []string{"sku"},
		},
		{
			name:  "other names case",
			ddl:   []string{`CREATE TABLE socks (SKU TEXT, Name TEXT, PRICE NUMERIC)`, `CREATE UNIQUE INDEX socks_sku ON socks (Sku)`},
			table: "socks", cols: socks, key: []string{"sku"},
		},
		{
			name:  "composite primary key",
			ddl:   []string{`CREATE TABLE stock_levels (warehouse TEXT, sku TEXT, on_hand INTEGER, PRIMARY KEY (sku, warehouse))`},
			table: "stock_levels", cols: stockDecl, key: []string{"warehouse", "sku"},
		},
		{
			name:  "composite unique index in another order",
			ddl:   []string{`CREATE TABLE stock_levels (warehouse TEXT, sku TEXT, on_hand INTEGER)`, `CREATE UNIQUE INDEX sl ON stock_levels (sku, warehouse)`},
			table: "stock_levels", cols: stockDecl, key: []string{"warehouse", "sku"},
		},
		{
			name:  "composite key with index on one part",
			ddl:   []string{`CREATE TABLE stock_levels (warehouse TEXT, sku TEXT, on_hand INTEGER)`, `CREATE UNIQUE INDEX sl ON stock_levels (sku)`},
			table: "stock_levels", cols: stockDecl, key: []string{"warehouse", "sku"},
			err: noStockIndex,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openTempDB(t)
			execDDL(t, db, tt.ddl...)
			ds := NewDataset(db.Dialect, tt.table, tt.cols, tt.key)
			created, err := ensureTable(ctx, db.Bun, db.Dialect, ds)
			if created {
				t.Errorf("Ensure created an existing table")
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Ensure: %v", err)
				}
				return
			}
			var se *SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("Ensure error = %v, want a *SchemaError", err)
			}
			if err.Error() != tt.err {
				t.Fatalf("Ensure error:\n got %q\nwant %q", err, tt.err)
			}
			if se.Table != tt.table {
				t.Errorf("SchemaError.Table = %q, want %q", se.Table, tt.table)
			}
		})
	}
}

func TestDatasetCheckMissingTable(t *testing.T) {
	t.Parallel()
	ds := NewDataset(newSQLite(), "socks", socksDecl, []string{"sku"})
	err := ds.Check(TableInfo{})
	if want := "table socks: does not exist (sluice import creates it)"; err == nil || err.Error() != want {
		t.Fatalf("Check of a missing table = %v, want %q", err, want)
	}
}

func TestDatasetModel(t *testing.T) {
	t.Parallel()
	ds := NewDataset(newSQLite(), "stock_levels", stockDecl, []string{"warehouse", "sku"})
	if !ds.IsKey("sku") || !ds.IsKey("warehouse") || ds.IsKey("on_hand") {
		t.Errorf("IsKey: sku %v, warehouse %v, on_hand %v; want true, true, false",
			ds.IsKey("sku"), ds.IsKey("warehouse"), ds.IsKey("on_hand"))
	}
	// Each call is a fresh value, so concurrent imports never share one.
	if a, b := ds.Model(), ds.Model(); a == b {
		t.Error("Model() returned the same pointer twice")
	}
}
