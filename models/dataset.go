package models

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// Column is one column of a dataset table.
type Column struct {
	Name      string
	Type      Type
	Precision int // decimal; 0 = the dialect's default
	Scale     int
	NotNull   bool // key and required columns
	Key       bool // part of the natural key
}

// Dataset is a job's table: its columns and its natural key.
type Dataset struct {
	Table   string
	Columns []Column
	Key     []string // column names, a subset of Columns

	model reflect.Type
}

// NewDataset builds the Bun model for a table declared in config. The
// model is a struct type made at run time with one field per column and
// bun tags carrying the SQL types, so Bun writes the DDL.
func NewDataset(d Dialect, table string, cols []Column, key []string) *Dataset {
	ds := &Dataset{Table: table, Columns: cols, Key: key}
	fields := []reflect.StructField{{
		Name:      "BaseModel",
		Type:      reflect.TypeFor[bun.BaseModel](),
		Tag:       reflect.StructTag(fmt.Sprintf(`bun:"table:%s,alias:t"`, table)),
		Anonymous: true,
	}}
	for i, c := range cols {
		tag := fmt.Sprintf("%s,type:%s", c.Name, d.ColumnType(c))
		if c.NotNull {
			tag += ",notnull"
		}
		if c.Key && !d.TransactionalDDL() {
			// Declared in CREATE TABLE: one statement makes the table
			// and its key, so no half-made table can be left behind.
			tag += ",unique:" + ds.KeyIndexName()
		}
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("C%d", i),
			Type: reflect.TypeFor[any](),
			Tag:  reflect.StructTag(fmt.Sprintf(`bun:"%s"`, tag)),
		})
	}
	ds.model = reflect.StructOf(fields)
	return ds
}

// Model returns a new pointer to the table's Bun model struct.
func (ds *Dataset) Model() any { return reflect.New(ds.model).Interface() }

// ColumnNames returns the column names in declaration order.
func (ds *Dataset) ColumnNames() []string {
	out := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		out[i] = c.Name
	}
	return out
}

// IsKey reports whether the named column is part of the key.
func (ds *Dataset) IsKey(name string) bool { return slices.Contains(ds.Key, name) }

// KeyIndexName is the name sluice gives the unique index on the key.
func (ds *Dataset) KeyIndexName() string { return ds.Table + "_" + strings.Join(ds.Key, "_") + "_key" }

// SchemaError is a table that exists but cannot take the import as
// declared. The job fails before any file is read.
type SchemaError struct {
	Table  string
	Reason string
}

func (e *SchemaError) Error() string { return fmt.Sprintf("table %s: %s", e.Table, e.Reason) }

// Ensure creates the table with a unique index on the key if it does not
// exist. An existing table is used as it is, after checking that every
// declared column is there and the key has a unique index, which the
// upsert needs to find existing rows.
func (ds *Dataset) Ensure(ctx context.Context, db bun.IDB, d Dialect) (created bool, err error) {
	info, err := d.Inspect(ctx, db, ds.Table)
	if err != nil {
		return false, fmt.Errorf("inspect table %s: %w", ds.Table, err)
	}
	if info.Exists {
		return false, ds.Check(info)
	}
	if _, err := db.NewCreateTable().Model(ds.Model()).IfNotExists().Exec(ctx); err != nil {
		return false, fmt.Errorf("create table %s: %w", ds.Table, err)
	}
	if !d.TransactionalDDL() {
		return true, nil // the key came with CREATE TABLE
	}
	_, err = db.NewCreateIndex().Model(ds.Model()).Unique().IfNotExists().
		Index(ds.KeyIndexName()).Column(ds.Key...).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("create unique index on %s(%s): %w", ds.Table, strings.Join(ds.Key, ", "), err)
	}
	return true, nil
}

// CreateTemp creates the table as a temporary one, for a dry run where
// creating the real table would commit (MySQL). It shadows the name for
// the transaction's session, and is dropped when the transaction ends: a
// rollback does not undo it, and the pooled session would otherwise keep
// it in front of the real table.
func (ds *Dataset) CreateTemp(ctx context.Context, tx *Tx) error {
	// Bun's Temp() writes CREATE TEMP TABLE, which MySQL does not know.
	create := tx.NewCreateTable().Model(ds.Model()).String()
	create = "CREATE TEMPORARY TABLE " + strings.TrimPrefix(create, "CREATE TABLE ")
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create temporary table %s: %w", ds.Table, err)
	}
	tx.onRelease = append(tx.onRelease, "DROP TEMPORARY TABLE IF EXISTS "+quoteIdent(ds.Table))
	return nil
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
