package importer

import (
	"errors"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// TestImportExistingTable: a table made by hand is used as it is when it
// has every declared column and a unique index on the key; otherwise the
// import fails before reading the file and writes nothing.
func TestImportExistingTable(t *testing.T) {
	t.Parallel()
	const handMade = "INSERT INTO socks (sku, name, notes) VALUES ('SK-001', 'Old Name', 'keep me')"
	// The hand-made row, as the columns below read it.
	before := [][]string{{"1", "'SK-001'", "'Old Name'", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "'keep me'"}}
	cols := append(append([]string{"id"}, socksColumns...), "notes")
	withExtras := func(id, notes string, row []string) []string {
		return append(append([]string{id}, row...), notes)
	}
	failed := outcome{Status: models.StatusFailed}
	tests := []struct {
		name  string
		setup []string
		want  outcome
		err   []string
		rows  [][]string // the table afterwards, ordered by sku, columns cols
		cols  []string   // when the table lacks some of cols
	}{
		{
			name: "extra columns and a unique index: used as is",
			setup: []string{
				`CREATE TABLE socks (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT, colour TEXT,
					price NUMERIC, quantity INTEGER, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME,
					notes TEXT NOT NULL DEFAULT 'hand-made')`,
				"CREATE UNIQUE INDEX socks_by_sku ON socks (sku)",
				handMade,
			},
			want: ok(4, 3, 1, 0),
			rows: [][]string{
				withExtras("1", "'keep me'", socksSep[0]),
				withExtras("2", "'hand-made'", socksSep[1]),
				withExtras("3", "'hand-made'", socksSep[2]),
				withExtras("4", "'hand-made'", socksSep[3]),
			},
		},
		{
			name: "key as primary key, columns in another order and case",
			setup: []string{
				`CREATE TABLE socks (notes TEXT, restocked_at DATETIME, UPDATED_ON DATE, In_Stock BOOLEAN,
					quantity INTEGER, price NUMERIC, colour TEXT, name TEXT, SKU TEXT PRIMARY KEY, id INTEGER)`,
			},
			want: ok(4, 4, 0, 0),
			rows: [][]string{
				withExtras("NULL", "NULL", socksSep[0]),
				withExtras("NULL", "NULL", socksSep[1]),
				withExtras("NULL", "NULL", socksSep[2]),
				withExtras("NULL", "NULL", socksSep[3]),
			},
		},
		{
			name: "a declared column is missing",
			setup: []string{
				`CREATE TABLE socks (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT, colour TEXT,
					price NUMERIC, quantity INTEGER, in_stock BOOLEAN, updated_on DATE, notes TEXT)`,
				"CREATE UNIQUE INDEX socks_by_sku ON socks (sku)",
				handMade,
			},
			want: failed,
			err:  []string{"table socks", "restocked_at", "missing"},
			rows: [][]string{{"1", "'SK-001'", "'Old Name'", "'keep me'"}},
			cols: []string{"id", "sku", "name", "notes"},
		},
		{
			name: "the key has only a plain index",
			setup: []string{
				`CREATE TABLE socks (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT, colour TEXT, price NUMERIC,
					quantity INTEGER, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME, notes TEXT)`,
				"CREATE INDEX socks_by_sku ON socks (sku)",
				handMade,
			},
			want: failed,
			err:  []string{"table socks", "key (sku) has no unique index", "CREATE UNIQUE INDEX"},
			rows: before,
		},
		{
			name: "the unique index covers more than the key",
			setup: []string{
				`CREATE TABLE socks (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT, colour TEXT, price NUMERIC,
					quantity INTEGER, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME, notes TEXT)`,
				"CREATE UNIQUE INDEX socks_by_sku_colour ON socks (sku, colour)",
				handMade,
			},
			want: failed,
			err:  []string{"key (sku) has no unique index"},
			rows: before,
		},
		{
			name: "the unique index is partial",
			setup: []string{
				`CREATE TABLE socks (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT, colour TEXT, price NUMERIC,
					quantity INTEGER, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME, notes TEXT)`,
				"CREATE UNIQUE INDEX socks_by_sku ON socks (sku) WHERE quantity > 0",
				handMade,
			},
			want: failed,
			err:  []string{"key (sku) has no unique index"},
			rows: before,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnv(t, socksJob(socksOpts{}))
			e.exec(tt.setup...)
			res := e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{})
			checkResult(t, "import", res, tt.want, tt.err...)
			if len(tt.err) > 0 {
				var se *models.SchemaError
				if !errors.As(res.Err, &se) || se.Table != "socks" {
					t.Errorf("error %v is not a *models.SchemaError for socks", res.Err)
				}
				if res.RejectFile != "" {
					t.Errorf("RejectFile = %q: the file was read", res.RejectFile)
				}
			}
			if tt.cols == nil {
				tt.cols = cols
			}
			checkRows(t, "socks", e.table("socks", "sku", tt.cols...), tt.rows)
		})
	}
}

// TestImportHeader: CSV columns are found by name in any order, extra
// ones are ignored; a header lacking a declared column fails the file.
func TestImportHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want outcome
		err  []string
		rows [][]string // nil: the table must not exist afterwards
	}{
		{
			name: "other order, extra column, case and spaces",
			data: "Supplier, restocked_at ,updated_on,IN_STOCK,quantity,price,Color,name,SKU\n" +
				"Knitwell Ltd,2026-09-30T20:00:00+02:00,2026-09-01,true,10,12.50,Navy,Merino Argyle,SK-001\n" +
				`"Fil d'Or SARL",,2026-09-03,1,5,7,,Crème Brûlée Stripe,SK-003` + "\n",
			want: ok(2, 2, 0, 0),
			rows: [][]string{socksSep[0], socksSep[2]},
		},
		{
			name: "declared column missing",
			data: "sku,name,price,quantity,in_stock,updated_on,restocked_at\n" +
				"SK-001,Merino Argyle,12.50,10,true,2026-09-01,\n",
			want: outcome{Status: models.StatusFailed},
			err:  []string{"socks-2026-09.csv:1:", `header lacks declared column(s) "Color"`},
		},
		{
			name: "column name instead of its csv header",
			data: "sku,name,colour,price,quantity,in_stock,updated_on,restocked_at\n" +
				"SK-001,Merino Argyle,Navy,12.50,10,true,2026-09-01,\n",
			want: outcome{Status: models.StatusFailed},
			err:  []string{`"Color"`},
		},
		{
			name: "two declared columns missing",
			data: "sku,name,Color,price,quantity\nSK-001,Merino Argyle,Navy,12.50,10\n",
			want: outcome{Status: models.StatusFailed},
			err:  []string{`"in_stock", "updated_on", "restocked_at"`},
		},
		{
			name: "duplicate header name",
			data: "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at,sku\n",
			want: outcome{Status: models.StatusFailed},
			err:  []string{`duplicate header name "sku"`},
		},
		{
			name: "header only",
			data: "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n",
			want: ok(0, 0, 0, 0),
			rows: [][]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnv(t, socksJob(socksOpts{}))
			res := e.importFile("socks", e.write("in/socks-2026-09.csv", tt.data), Options{})
			checkResult(t, "import", res, tt.want, tt.err...)
			if tt.rows == nil {
				if e.tableExists("socks") {
					t.Errorf("table socks exists after a failed import: %q", e.socks())
				}
				var fe *FileError
				if !errors.As(res.Err, &fe) || fe.Line != 1 {
					t.Errorf("error %v is not a *FileError at line 1", res.Err)
				}
				return
			}
			checkRows(t, "socks", e.socks(), tt.rows)
		})
	}
}
