package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// column is one column of the socks job in config.yaml: its name in the
// table, its header in the CSV, its type as config.yaml spells it ("" is
// text) and the rest of its YAML entry.
type column struct {
	name, csv, typ string
	required       bool
	extra          string // further YAML keys, e.g. "precision: 10, scale: 2"
}

// socksColumns must stay identical to the socks job in config.yaml, so the
// benchmark measures what users run.
var socksColumns = []column{
	{name: "sku", csv: "sku", typ: "text"},
	{name: "name", csv: "name", typ: "text", required: true},
	{name: "style", csv: "style", typ: "text"},
	{name: "size", csv: "size", typ: "text"},
	{name: "colour", csv: "Color"},
	{name: "price", csv: "price", typ: "decimal", extra: "precision: 10, scale: 2"},
	{name: "quantity", csv: "quantity", typ: "integer"},
	{name: "in_stock", csv: "in_stock", typ: "boolean"},
	{name: "updated_on", csv: "updated_on", typ: "date", extra: `format: "2006-01-02"`},
}

// yaml is the column's entry in the job's columns list.
func (c column) yaml() string {
	parts := []string{"name: " + c.name}
	if c.csv != c.name {
		parts = append(parts, "csv: "+c.csv)
	}
	if c.typ != "" {
		parts = append(parts, "type: "+c.typ)
	}
	if c.required {
		parts = append(parts, "required: true")
	}
	if c.extra != "" {
		parts = append(parts, c.extra)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// emptyIsNull reports whether c is text that sluice stores as NULL when its
// cell is empty (rather than rejecting the row): neither key nor required.
// An empty cell of any other type is NULL too, but sockgen writes empty
// cells only in text columns, so the references convert only those.
func (c column) emptyIsNull() bool {
	return (c.typ == "" || c.typ == "text") && !c.required && c.name != socksKey
}

// socksKey is the natural key of the socks job.
const socksKey = "sku"

const (
	benchConfig = "bench.yaml"
	sluiceDB    = "sluice.db"
	rejectsDir  = "rejects"
)

// benchYAML is the sluice config for the benchmark: the socks job of
// config.yaml with its paths moved into dir.
func benchYAML(dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by sluice-bench: the socks job of config.yaml, pointed at %s.
database:
  url: %s

jobs:
  - name: socks
    schedule: "0 3 1 * *"
    source:
      path: %s
      delimiter: ","
      encoding: utf-8
    table: socks
    key: [%s]
    mode: upsert
    columns:
`, dir, strconv.Quote("sqlite:///"+filepath.Join(dir, sluiceDB)), strconv.Quote(filepath.Join(dir, baseCSV)), socksKey)
	for _, c := range socksColumns {
		fmt.Fprintf(&b, "      - %s\n", c.yaml())
	}
	fmt.Fprintf(&b, "    rejects: {max: \"1%%\", dir: %s}\n", strconv.Quote(filepath.Join(dir, rejectsDir)))
	return b.String()
}

func writeBenchConfig(dir string) error {
	path := filepath.Join(dir, benchConfig)
	if err := os.WriteFile(path, []byte(benchYAML(dir)), 0o644); err != nil {
		return fmt.Errorf("write bench config: %w", err)
	}
	return nil
}
