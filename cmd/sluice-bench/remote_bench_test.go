package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/remotetest"
)

// BenchmarkImportRemote imports one generated 200k-row month into a fresh
// SQLite file per iteration, from a local file and from each kind of
// remote source on loopback (the servers run in this process), to show
// what the download and its spool cost next to the import itself:
//
//	go test ./cmd/sluice-bench/ -run '^$' -bench ImportRemote -benchtime 5x -count 3
func BenchmarkImportRemote(b *testing.B) {
	o := sockgen.Options{Rows: 200_000, Seed: 1, ChangePct: 10, NewPct: 5}
	data := b.TempDir()
	path := filepath.Join(data, "socks-2026-01.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := sockgen.Write(f, 0, o); err != nil {
		b.Fatal(err)
	}
	f.Close()
	body, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	job := strings.Replace(importBenchJob, `source: {path: "socks-*.csv"}`, "source:\n      %s", 1)
	kinds := []struct {
		name   string
		source func(b *testing.B) string
	}{
		{"local", func(*testing.B) string { return fmt.Sprintf("path: %q", filepath.Join(data, "socks-*.csv")) }},
		{"http", func(b *testing.B) string {
			h := remotetest.NewHTTP(b, data)
			return fmt.Sprintf("path: %q", h.URL+"/socks-2026-01.csv")
		}},
		{"s3", func(b *testing.B) string {
			s := remotetest.NewS3(b, "dumps")
			s.Put("socks-2026-01.csv", body)
			b.Setenv("AWS_ACCESS_KEY_ID", s.KeyID)
			b.Setenv("AWS_SECRET_ACCESS_KEY", s.Secret)
			b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			b.Setenv("AWS_CONFIG_FILE", filepath.Join(data, "none"))
			b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(data, "none"))
			return fmt.Sprintf("path: \"s3://dumps/socks-*.csv?endpoint=%s&use_path_style=true\"", s.URL)
		}},
		{"sftp", func(b *testing.B) string {
			s := remotetest.NewSFTP(b)
			return fmt.Sprintf("path: \"sftp://%s@%s%s/socks-*.csv\"\n      sftp: {key_file: %q, known_hosts: %q}", s.User, s.Addr, data, s.KeyFile, s.KnownHosts)
		}},
	}
	ctx := context.Background()
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			dir := b.TempDir()
			cfgPath := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(job, k.source(b))), 0o644); err != nil {
				b.Fatal(err)
			}
			cfg, err := importer.LoadConfig(cfgPath, func(string) (string, bool) { return "", false })
			if err != nil {
				b.Fatal(err)
			}
			j, err := cfg.Job("socks")
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				db, im := freshImporter(b, dir, i)
				results, err := im.RunJob(ctx, j, importer.Options{})
				if err != nil || len(results) != 1 || results[0].Err != nil || results[0].Counts.Inserted != int64(o.Rows) {
					b.Fatalf("%d results, %v: %+v", len(results), err, results)
				}
				db.Close()
			}
			b.ReportMetric(float64(o.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(len(body))/1e6, "MB")
		})
	}
}
