package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// column is one column of the socks job in config.yaml: its name in the
// table, its header in the CSV and its entry in YAML.
type column struct {
	name, csv, yaml string
}

// socksColumns must stay identical to the socks job in config.yaml, so the
// benchmark measures what users run.
var socksColumns = []column{
	{"sku", "sku", "{name: sku, type: text}"},
	{"name", "name", "{name: name, type: text, required: true}"},
	{"style", "style", "{name: style, type: text}"},
	{"size", "size", "{name: size, type: text}"},
	{"colour", "Color", "{name: colour, csv: Color}"},
	{"price", "price", "{name: price, type: decimal, precision: 10, scale: 2}"},
	{"quantity", "quantity", "{name: quantity, type: integer}"},
	{"in_stock", "in_stock", "{name: in_stock, type: boolean}"},
	{"updated_on", "updated_on", `{name: updated_on, type: date, format: "2006-01-02"}`},
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
		fmt.Fprintf(&b, "      - %s\n", c.yaml)
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
