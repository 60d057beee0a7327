package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// ensureTable creates the table, its key as its primary key, if it does
// not exist. An existing table is used as it is, after checking that every
// declared column is there and the key has a unique index (a primary key
// or not), which the merge needs to find existing rows.
func ensureTable(ctx context.Context, db bun.IDB, d Dialect, ds *Dataset) (created bool, err error) {
	created, _, err = ensureTableAdding(ctx, db, d, ds, nil)
	return created, err
}

// ensureTableAdding is ensureTable that first adds to an existing table
// the columns named in add that it lacks (see addColumns), returning them.
func ensureTableAdding(ctx context.Context, db bun.IDB, d Dialect, ds *Dataset, add []string) (created bool, added []string, err error) {
	info, err := d.Inspect(ctx, db, ds.Table)
	if err != nil {
		return false, nil, fmt.Errorf("inspect table %s: %w", ds.Table, err)
	}
	if info.Exists && len(add) > 0 {
		if added, err = addColumns(ctx, db, d, ds, info, add); err != nil {
			return false, added, err
		}
		if len(added) > 0 {
			if info, err = d.Inspect(ctx, db, ds.Table); err != nil {
				return false, added, fmt.Errorf("inspect table %s: %w", ds.Table, err)
			}
		}
	}
	created, err = checkOrCreate(ctx, db, d, ds, info)
	return created, added, err
}

// checkOrCreate checks the existing table, or creates it.
func checkOrCreate(ctx context.Context, db bun.IDB, d Dialect, ds *Dataset, info TableInfo) (created bool, err error) {
	if info.Exists {
		if err := ds.Check(info); err != nil {
			return false, err
		}
		ds.takeLimits(info)
		return false, nil
	}
	create := db.NewCreateTable().Model(ds.Model()).IfNotExists().String() + d.tableOptions()
	if _, err := db.ExecContext(ctx, create); err != nil {
		return false, fmt.Errorf("create table %s: %w", ds.Table, err)
	}
	return true, nil
}

// takeLimits copies what an existing table's columns can hold into the
// dataset's columns, for Encode.
func (ds *Dataset) takeLimits(info TableInfo) {
	for i := range ds.Columns {
		for _, c := range info.Details {
			if strings.EqualFold(c.Name, ds.Columns[i].Name) {
				ds.Columns[i].Limits = &c
			}
		}
	}
}

// createTempTable creates the table as a temporary one, for a dry run
// where creating the real table would commit (MySQL). It shadows the name
// for the transaction's session, and is dropped when the transaction
// ends: a rollback does not undo it, and the pooled session would
// otherwise keep it in front of the real table.
func createTempTable(ctx context.Context, tx *Tx, ds *Dataset) error {
	// Bun's Temp() writes CREATE TEMP TABLE, which MySQL does not know.
	create := tx.NewCreateTable().Model(ds.Model()).String()
	create = "CREATE TEMPORARY TABLE " + strings.TrimPrefix(create, "CREATE TABLE ")
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create temporary table %s: %w", ds.Table, err)
	}
	tx.onRelease = append(tx.onRelease, "DROP TEMPORARY TABLE IF EXISTS "+quoteIdent(ds.Table))
	return nil
}

// TableStatus is what sluice check reports of a job's table.
type TableStatus struct {
	Exists  bool
	Columns int // columns of the existing table
	// Problem says why the existing table cannot take the import as
	// declared (a *SchemaError); nil when it can.
	Problem error
	// PrimaryKey is the table's primary key: the job's key in a table
	// sluice made, often a surrogate id in the application's own.
	PrimaryKey []string
	// AddPrimaryKey, for a table without a primary key (made by an
	// earlier release), says how to give it one: an ORM that reflects a
	// table maps it by its primary key.
	AddPrimaryKey string
	// Unfilled are the table's NOT NULL columns without a default that
	// the job does not declare: every insert of a new key fails.
	Unfilled []string
	// Narrower are the declared decimal columns the table holds with fewer
	// digits than the declaration lets through, as "price NUMERIC(8,2)":
	// a value that passes the check then fails the file at the database.
	Narrower []Narrower
}

// Narrower is a decimal column narrower in the table than declared.
type Narrower struct {
	Column                  string
	Precision, Scale        int // the table's
	Declared, DeclaredScale int // 0: no precision declared
}

// TableStatus looks at ds's table without changing anything.
func (db *DB) TableStatus(ctx context.Context, ds *Dataset) (TableStatus, error) {
	info, err := db.Dialect.Inspect(ctx, db.Bun, ds.Table)
	if err != nil {
		return TableStatus{}, fmt.Errorf("inspect table %s: %w", ds.Table, err)
	}
	if !info.Exists {
		return TableStatus{}, nil
	}
	st := TableStatus{Exists: true, Columns: len(info.Columns), Problem: ds.Check(info), PrimaryKey: info.PrimaryKey}
	if len(info.PrimaryKey) == 0 {
		st.AddPrimaryKey = db.Dialect.addPrimaryKey(ds)
	}
	st.Unfilled = unfilled(info, ds)
	for _, c := range info.Details {
		declared := slices.IndexFunc(ds.Columns, func(d Column) bool { return strings.EqualFold(d.Name, c.Name) })
		if declared < 0 {
			continue
		}
		if d := ds.Columns[declared]; d.Type == Decimal && c.Precision > 0 && narrower(c, d) {
			st.Narrower = append(st.Narrower, Narrower{Column: d.Name, Precision: c.Precision, Scale: c.Scale, Declared: d.Precision, DeclaredScale: d.Scale})
		}
	}
	return st, nil
}

// unfilled are the table's NOT NULL columns without a default that ds
// does not declare: an insert of a new key fails on them.
func unfilled(info TableInfo, ds *Dataset) []string {
	var out []string
	for _, c := range info.Details {
		if c.NotNull && !c.Filled && !slices.ContainsFunc(ds.Columns, func(d Column) bool { return strings.EqualFold(d.Name, c.Name) }) {
			out = append(out, c.Name)
		}
	}
	return out
}

// narrower reports whether a value the declaration d lets through may not
// fit column c: fewer digits before or after the point, or no declared
// precision at all.
func narrower(c ColumnInfo, d Column) bool {
	if d.Precision == 0 {
		return true
	}
	return c.Precision-c.Scale < d.Precision-d.Scale || c.Scale < d.Scale
}

// alterAddPrimaryKey is how PostgreSQL and MySQL add one.
func alterAddPrimaryKey(ds *Dataset) string {
	return fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%s) (its unique index on the key is then redundant)",
		quoteIdent(ds.Table), strings.Join(quoteAll(ds.Key), ", "))
}

// Check compares an existing table with the declaration.
func (ds *Dataset) Check(info TableInfo) error {
	if !info.Exists {
		return &SchemaError{Table: ds.Table, Reason: "does not exist (sluice import creates it)"}
	}
	have := map[string]bool{}
	for _, c := range info.Columns {
		have[strings.ToLower(c)] = true
	}
	var missing []string
	for _, c := range ds.Columns {
		if !have[strings.ToLower(c.Name)] {
			missing = append(missing, c.Name)
		}
	}
	if ds.Mark != "" && slices.Contains(missing, ds.Mark) {
		return &SchemaError{Table: ds.Table, Reason: fmt.Sprintf(
			"sync.column %s (where mark records when a row left the dump) is missing from the existing table; add it: ALTER TABLE %s ADD COLUMN %s <a timestamp type> NULL",
			ds.Mark, ds.Table, ds.Mark)}
	}
	if len(missing) > 0 {
		return &SchemaError{Table: ds.Table, Reason: fmt.Sprintf(
			"declared column(s) %s missing from the existing table (it has %s); add them or fix config.yaml",
			strings.Join(missing, ", "), strings.Join(info.Columns, ", "))}
	}
	want := normalizedSet(ds.Key)
	for _, u := range info.Unique {
		if slices.Equal(normalizedSet(u), want) {
			return nil
		}
	}
	return &SchemaError{Table: ds.Table, Reason: fmt.Sprintf(
		"key (%s) has no unique index, so existing rows cannot be matched; create one: CREATE UNIQUE INDEX %s ON %s (%s)",
		strings.Join(ds.Key, ", "), ds.KeyIndexName(), ds.Table, strings.Join(ds.Key, ", "))}
}

func normalizedSet(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.ToLower(c)
	}
	slices.Sort(out)
	return out
}
