package models

import (
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
	// Limits are an existing table's column (see ColumnInfo), set by
	// Load.Start, for Encode to reject a value the column cannot hold
	// instead of failing the file; nil in a table sluice creates.
	Limits *ColumnInfo
}

// Dataset is a job's table: its columns and its natural key.
type Dataset struct {
	Table   string
	Columns []Column
	Key     []string // column names, a subset of Columns
	// Mark names the column among Columns that a sync in mark mode sets
	// on rows gone from the file (SyncSpec.Column); no CSV column feeds it.
	Mark string

	model reflect.Type
}

// NewDataset builds the Bun model for a table declared in config. The
// model is a struct type made at run time with one field per column and
// bun tags carrying the SQL types and the primary key, so Bun writes the
// DDL.
func NewDataset(d Dialect, table string, cols []Column, key []string) *Dataset {
	fields := []reflect.StructField{{
		Name:      "BaseModel",
		Type:      reflect.TypeFor[bun.BaseModel](),
		Tag:       reflect.StructTag(fmt.Sprintf(`bun:"table:%s,alias:t"`, table)),
		Anonymous: true,
	}}
	cols = slices.Clone(cols)
	for i := range cols {
		// The key list says which columns are the key.
		cols[i].Key = slices.Contains(key, cols[i].Name)
	}
	ds := &Dataset{Table: table, Columns: cols, Key: key}
	for i, c := range cols {
		tag := fmt.Sprintf("%s,type:%s", c.Name, d.ColumnType(c))
		if c.NotNull {
			tag += ",notnull"
		}
		if c.Key {
			// The natural key is the primary key: an ORM that reflects
			// the table maps it by its primary key, and one statement
			// makes the table and its key.
			tag += ",pk"
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

// KeyIndexName is the name of the unique index sluice suggests on the key
// of an existing table that has none.
func (ds *Dataset) KeyIndexName() string { return ds.Table + "_" + strings.Join(ds.Key, "_") + "_key" }

// SchemaError is a table that exists but cannot take the import as
// declared. The job fails before any file is read.
type SchemaError struct {
	Table  string
	Reason string
}

func (e *SchemaError) Error() string { return fmt.Sprintf("table %s: %s", e.Table, e.Reason) }
