package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
)

// Dump file names inside -out.
const (
	baseCSV   = "base.csv"
	nextCSV   = "next.csv"
	stampFile = "sockgen.stamp"
)

// stamp identifies the generator options that produced base.csv and
// next.csv. Bump the version when sockgen's output changes.
func stamp(o sockgen.Options) string {
	return fmt.Sprintf("sockgen v1 rows=%d seed=%d change=%g new=%g\n", o.Rows, o.Seed, o.ChangePct, o.NewPct)
}

// ensureDumps writes base.csv and next.csv into dir unless the stamp file
// says they were already generated with the same options. It reports
// whether it generated anything.
func ensureDumps(ctx context.Context, log *slog.Logger, dir string, o sockgen.Options) (bool, error) {
	stampPath := filepath.Join(dir, stampFile)
	if old, err := os.ReadFile(stampPath); err == nil && string(old) == stamp(o) &&
		exists(filepath.Join(dir, baseCSV)) && exists(filepath.Join(dir, nextCSV)) {
		log.Info("dumps up to date", "dir", dir, "rows", o.Rows)
		return false, nil
	}
	// Remove the stamp first: a run interrupted below must not leave a
	// stamp next to half-written dumps.
	if err := os.Remove(stampPath); err != nil && !os.IsNotExist(err) {
		return false, err
	}
	for month, name := range []string{baseCSV, nextCSV} {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		start := time.Now()
		path := filepath.Join(dir, name)
		if err := writeDump(path, month, o); err != nil {
			return false, err
		}
		log.Info("generated", "file", path, "rows", o.RowsIn(month), "duration", time.Since(start).Round(time.Millisecond))
	}
	if err := os.WriteFile(stampPath, []byte(stamp(o)), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

func writeDump(path string, month int, o sockgen.Options) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := sockgen.Write(f, month, o); err != nil {
		f.Close()
		return fmt.Errorf("generate %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("generate %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
