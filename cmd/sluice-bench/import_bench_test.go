package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// importBenchJob is config.yaml's socks job, reading sockgen's dumps.
const importBenchJob = `database:
  url: sqlite:///unused.db
jobs:
  - name: socks
    source: {path: "socks-*.csv"}
    table: socks
    key: [sku]
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
`

// BenchmarkImport imports a generated 100k-row month, then the next month
// (10% changed, 5% new) into a fresh SQLite file per iteration:
//
//	go test ./cmd/sluice-bench/ -run '^$' -bench Import -benchtime 5x
func BenchmarkImport(b *testing.B) {
	o := sockgen.Options{Rows: 100_000, Seed: 1, ChangePct: 10, NewPct: 5}
	dir := b.TempDir()
	files := make([]string, 2)
	for month := range files {
		files[month] = filepath.Join(dir, fmt.Sprintf("socks-%d.csv", month))
		f, err := os.Create(files[month])
		if err != nil {
			b.Fatal(err)
		}
		if err := sockgen.Write(f, month, o); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(importBenchJob), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := importer.LoadConfig(cfgPath, func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	job, err := cfg.Job("socks")
	if err != nil {
		b.Fatal(err)
	}
	want := []models.Counts{
		{Inserted: int64(o.RowsIn(0))},
		{Inserted: int64(o.Added()), Updated: int64(o.Changed()), Unchanged: int64(o.Rows - o.Changed())},
	}
	rows := int64(o.RowsIn(0) + o.RowsIn(1))
	ctx := context.Background()

	i := 0
	for b.Loop() {
		i++
		db, im := freshImporter(b, dir, i)
		for month, path := range files {
			results, err := im.ImportFiles(ctx, job, []string{path}, importer.Options{})
			if err != nil || len(results) != 1 {
				b.Fatalf("month %d: %d results, %v", month, len(results), err)
			}
			res := results[0]
			c := res.Counts
			if res.Err != nil || c.Inserted != want[month].Inserted || c.Updated != want[month].Updated || c.Unchanged != want[month].Unchanged {
				b.Fatalf("month %d: %s %+v, want %+v (err %v)", month, res.Status, c, want[month], res.Err)
			}
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// freshImporter opens the i-th SQLite file in dir, new, and an importer
// on it that logs nothing.
func freshImporter(b *testing.B, dir string, i int) (*models.DB, *importer.Importer) {
	b.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, fmt.Sprintf("sqlite:///bench-%d.db", i), dir)
	if err != nil {
		b.Fatal(err)
	}
	im, err := importer.New(ctx, db, importer.Config{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return db, im
}
