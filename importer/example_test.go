package importer_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// A job from config.yaml run once on a SQLite file, then again: the second
// run finds the file in the ledger and skips it.
func Example() {
	dir, err := os.MkdirTemp("", "sluice-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("config.yaml", `database:
  url: sqlite:///socks.db
jobs:
  - name: socks
    source: {path: "socks-*.csv"}
    table: socks
    key: [sku]
    columns:
      - {name: sku}
      - {name: name, required: true}
      - {name: price, type: decimal, precision: 10, scale: 2}
`)
	write("socks-2026-09.csv", "sku,name,price\nSK-1,Merino Argyle,12.50\nSK-2,Bamboo Dot,abc\nSK-3,Trail Rib,15\n")

	ctx := context.Background()
	cfg, err := importer.LoadConfig(filepath.Join(dir, "config.yaml"), os.LookupEnv)
	if err != nil {
		log.Fatal(err)
	}
	db, err := models.Open(ctx, cfg.Database.URL, cfg.Dir())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	im, err := importer.New(ctx, db, importer.Config{})
	if err != nil {
		log.Fatal(err)
	}
	job, err := cfg.Job("socks")
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		results, err := im.RunJob(ctx, job, importer.Options{})
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range results {
			c := r.Counts
			fmt.Printf("%s %s: %s, %d rows, %d inserted, %d updated, %d unchanged, %d rejected\n",
				r.Job, filepath.Base(r.Path), r.Status, r.Rows, c.Inserted, c.Updated, c.Unchanged, r.Rejected)
		}
	}
	// Output:
	// socks socks-2026-09.csv: ok, 3 rows, 2 inserted, 0 updated, 0 unchanged, 1 rejected
	// socks socks-2026-09.csv: skipped, 0 rows, 0 inserted, 0 updated, 0 unchanged, 0 rejected
}
