package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer/sockgen"
)

var discard = slog.New(slog.DiscardHandler)

func TestEnsureDumps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := sockgen.Options{Rows: 200, Seed: 5, ChangePct: 10, NewPct: 5}
	steps := []struct {
		opts          sockgen.Options
		wantGenerated bool
	}{
		{o, true},
		{o, false},
		{sockgen.Options{Rows: 200, Seed: 6, ChangePct: 10, NewPct: 5}, true},
	}
	for i, s := range steps {
		got, err := ensureDumps(context.Background(), discard, dir, s.opts)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got != s.wantGenerated {
			t.Errorf("step %d: generated = %v, want %v", i, got, s.wantGenerated)
		}
		for month, name := range []string{baseCSV, nextCSV} {
			var want bytes.Buffer
			if err := sockgen.Write(&want, month, s.opts); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want.Bytes()) {
				t.Errorf("step %d: %s differs from sockgen.Write(%d, %+v)", i, name, month, s.opts)
			}
		}
	}
}

func TestBenchYAML(t *testing.T) {
	t.Parallel()
	want := `# Written by sluice-bench: the socks job of config.yaml, pointed at /data/bench.
database:
  url: "sqlite:////data/bench/sluice.db"

jobs:
  - name: socks
    schedule: "0 3 1 * *"
    source:
      path: "/data/bench/base.csv"
      delimiter: ","
      encoding: utf-8
    table: socks
    key: [sku]
    mode: upsert
    columns:
      - {name: sku, type: text}
      - {name: name, type: text, required: true}
      - {name: style, type: text}
      - {name: size, type: text}
      - {name: colour, csv: Color}
      - {name: price, type: decimal, precision: 10, scale: 2}
      - {name: quantity, type: integer}
      - {name: in_stock, type: boolean}
      - {name: updated_on, type: date, format: "2006-01-02"}
    rejects: {max: "1%", dir: "/data/bench/rejects"}
`
	if got := benchYAML("/data/bench"); got != want {
		t.Errorf("benchYAML:\n%s\nwant:\n%s", got, want)
	}
}

func TestStagingScript(t *testing.T) {
	t.Parallel()
	header := sockgen.Header()
	const cols = `"sku", "name", "style", "size", "colour", "price", "quantity", "in_stock", "updated_on"`
	const sel = `"sku", "name", "style", "size", "Color", "price", "quantity", "in_stock", "updated_on"`
	const stage = `CREATE TABLE "socks_stage" ("sku" TEXT, "name" TEXT, "Color" TEXT, "size" TEXT, "style" TEXT, "price" TEXT, "in_stock" TEXT, "quantity" TEXT, "Supplier" TEXT, "updated_on" TEXT);`
	tests := []struct {
		name   string
		upsert bool
		insert string
	}{
		{"insert", false, "INSERT INTO socks (" + cols + ") SELECT " + sel + " FROM socks_stage;"},
		{"upsert", true, "INSERT INTO socks (" + cols + ") SELECT " + sel + ` FROM socks_stage WHERE true ON CONFLICT("sku") DO UPDATE SET ` +
			`"name" = excluded."name", "style" = excluded."style", "size" = excluded."size", "colour" = excluded."colour", "price" = excluded."price", ` +
			`"quantity" = excluded."quantity", "in_stock" = excluded."in_stock", "updated_on" = excluded."updated_on";`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := stagingScript("/d/x.csv", header, tt.upsert)
			if err != nil {
				t.Fatal(err)
			}
			want := ".mode csv\nBEGIN;\n" + stage + "\n.import --skip 1 '/d/x.csv' socks_stage\n" + tt.insert + "\nDROP TABLE socks_stage;\nCOMMIT;\n"
			if got != want {
				t.Errorf("script:\n%s\nwant:\n%s", got, want)
			}
		})
	}
	if _, err := stagingScript("/d/x.csv", []string{"sku", "name"}, false); err == nil || !strings.Contains(err.Error(), `no column "style"`) {
		t.Errorf("missing column: err = %v", err)
	}
}

// fakeSluice stands in for `sluice import` until the real command exists: it
// loads the file with sqlite3 into a table with an inline UNIQUE key, so the
// benchmark's schema copy, row checks and timing all run for real.
const fakeSluice = `#!/bin/sh
# usage: sluice import --config CFG --job socks FILE
[ "$1" = import ] && [ "$2" = --config ] && [ "$4" = --job ] || { echo "bad args: $*" >&2; exit 2; }
db="$(dirname "$3")/sluice.db"
SQLITE3 -bail "$db" <<SQL
CREATE TABLE IF NOT EXISTS socks (sku TEXT NOT NULL, name TEXT NOT NULL, style TEXT, size TEXT, colour TEXT, price DECIMAL(10,2), quantity BIGINT, in_stock BOOLEAN, updated_on DATE, UNIQUE (sku));
.mode csv
CREATE TEMP TABLE s (sku, name, Color, size, style, price, in_stock, quantity, Supplier, updated_on);
.import --skip 1 '$6' s
INSERT INTO socks SELECT sku, name, style, size, Color, price, quantity, in_stock, updated_on FROM s WHERE true
  ON CONFLICT (sku) DO UPDATE SET price = excluded.price, quantity = excluded.quantity, in_stock = excluded.in_stock, updated_on = excluded.updated_on;
SQL
`

func TestRun(t *testing.T) {
	t.Parallel()
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 CLI")
	}
	fake := filepath.Join(t.TempDir(), "sluice")
	if err := os.WriteFile(fake, []byte(strings.ReplaceAll(fakeSluice, "SQLITE3", sqlite3)), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := sockgen.Options{Rows: 2000, Seed: 3, ChangePct: 10, NewPct: 5}
	tests := []struct {
		name       string
		sluice     string
		wantErr    string
		wantSchema string
		wantFailed []string
	}{
		{"fake sluice", fake, "", "copied from sluice.db", nil},
		{"missing sluice", filepath.Join(t.TempDir(), "nope"), "2 of 5 steps failed", "fallback DDL",
			[]string{"| sluice import base.csv | 2,000 | — | — | — | failed |", "| sluice import next.csv | 2,100 | — | — | — | failed |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := config{opts: opts, out: dir, sluice: tt.sluice, sqlite3: sqlite3}
			var out bytes.Buffer
			err := run(context.Background(), discard, cfg, &out)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("run: err = %v, want %q", err, tt.wantErr)
			}
			report := out.String()
			for _, want := range append([]string{
				"- reference schema: " + tt.wantSchema,
				"| sqlite3 staging import base.csv (reference) | 2,000 | ",
				"| sqlite3 raw .import (no index, no types) | 2,000 | ",
				"| sqlite3 staging upsert next.csv (reference) | 2,100 | ",
			}, tt.wantFailed...) {
				if !strings.Contains(report, want) {
					t.Errorf("report lacks %q:\n%s", want, report)
				}
			}
			// The reference must end with next.csv's values: compare the
			// quantity of every SKU with the file.
			got, err := sqliteQuery(context.Background(), sqlite3, filepath.Join(dir, refDB),
				"SELECT count(*), sum(quantity) FROM socks")
			if err != nil {
				t.Fatal(err)
			}
			if want := sumQuantity(t, filepath.Join(dir, nextCSV)); got != want {
				t.Errorf("ref.db count|sum(quantity) = %s, want %s", got, want)
			}
		})
	}
}

func sumQuantity(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	q := indexOf(recs[0], "quantity")
	sum := 0
	for _, r := range recs[1:] {
		n, err := strconv.Atoi(r[q])
		if err != nil {
			t.Fatal(err)
		}
		sum += n
	}
	return fmt.Sprintf("%d|%d", len(recs)-1, sum)
}
