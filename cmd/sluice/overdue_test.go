package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// replaceInFile replaces the first old in the file at path with new,
// failing the test when there is none.
func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(text), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryAndCheckOverdue: with source.expect_every, sluice history and
// check say when the next file is due, and that it is overdue once the
// last import (moved 40 days back in the ledger) is older than that.
func TestHistoryAndCheckOverdue(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.New(t)
			work := t.TempDir()
			copySample(t, work)
			config := filepath.Join(work, "config.yaml")
			replaceInFile(t, config, "      encoding: utf-8\n", "      encoding: utf-8\n      expect_every: 5w\n")
			s := newSluiceCmd(bin, work, url)
			if code, stdout, stderr := s.run(t, "import", "--config", config); code != 0 {
				t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
			}
			_, stdout, _ := s.run(t, "history", "--config", config)
			if !strings.Contains(stdout, "job socks: next file expected by ") || strings.Contains(stdout, "job stock:") {
				t.Errorf("history after the import:\n%s", stdout)
			}
			old := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Second)
			ctx := context.Background()
			db, err := models.Open(ctx, url, work)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Bun.NewRaw("UPDATE sluice_runs SET started_at = ?, finished_at = ? WHERE job = ?", old, old, "socks").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			want := "job socks: OVERDUE: no new file since " + old.Format("2006-01-02 15:04 UTC") + " (source.expect_every: 35d)"
			for _, cmd := range []string{"history", "check"} {
				code, stdout, stderr := s.run(t, cmd, "--config", config)
				if code != 0 || !strings.Contains(stdout, want) {
					t.Errorf("%s: exit %d, want 0 and %q in\n%s\n%s", cmd, code, want, stdout, stderr)
				}
			}
		})
	}
}
