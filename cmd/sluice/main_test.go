package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sampleCount is one row of sample-data/README.md's table.
type sampleCount struct {
	job, file                                    string
	rows, inserted, updated, unchanged, rejected int
}

// sampleCounts is the table of sample-data/README.md: what importing each
// job's files in name order into a fresh database gives.
var sampleCounts = []sampleCount{
	{"socks", "socks-2026-09.csv", 300, 300, 0, 0, 0},
	{"socks", "socks-2026-10.csv", 320, 20, 35, 264, 1},
	{"socks", "socks-2026-11.csv", 347, 27, 33, 287, 0},
	{"stock", "stock-2026-09.csv", 150, 150, 0, 0, 0},
	{"stock", "stock-2026-10.csv", 156, 6, 16, 134, 0},
	{"stock", "stock-2026-11.csv", 162, 6, 21, 135, 0},
}

// TestSampleCountsDocumented keeps sampleCounts and the README in step.
func TestSampleCountsDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../sample-data/README.md")
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| socks-") || strings.HasPrefix(l, "| stock-") {
			got = append(got, l)
		}
	}
	for _, c := range sampleCounts {
		want = append(want, fmt.Sprintf("| %s | %d | %d | %d | %d | %d |", c.file, c.rows, c.inserted, c.updated, c.unchanged, c.rejected))
	}
	checkLines(t, "sample-data/README.md counts", got, want)
}

// TestBinary builds sluice and runs it as a user would on a copy of the
// shipped config and sample data, with the config's own database URL (a
// SQLite file next to it): import, import again, history, check.
func TestBinary(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	work := filepath.Join(t.TempDir(), "work")
	copySample(t, work)
	checkSampleRuns(t, newSluiceCmd(bin, work, ""), filepath.Join(work, "config.yaml"), "sqlite")
	if _, err := os.Stat(filepath.Join(work, "sockmarket.db")); err != nil {
		t.Errorf("database next to the config: %v", err)
	}
}

// checkSampleRuns runs sluice on a copy of the sample data in a fresh
// database and checks what it prints: the exact counts of
// sample-data/README.md and the one rejected row, then a second import
// that skips every file, then the history of those twelve runs, then
// check, which must name dialect.
func checkSampleRuns(t *testing.T, s *sluiceCmd, config, dialect string) {
	t.Helper()
	code, stdout, stderr := s.run(t, "import", "--config", config)
	if code != 0 {
		t.Fatalf("sluice import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rejectFile string
	for _, l := range summary(stdout) {
		if m := sampleRejectRE.FindStringSubmatch(l); m != nil {
			rejectFile = m[1]
		}
	}
	var want []string
	for _, c := range sampleCounts {
		want = append(want, c.imported())
	}
	checkLines(t, "sluice import", sampleSummary(stdout), want)

	// The one bad row: line 61 of October, SK-00060's price "12,5O".
	if rejectFile == "" {
		t.Error("the October summary names no reject file")
	} else {
		checkRejectFile(t, filepath.Join(s.dir, rejectFile),
			[]string{"line", "column", "reason", "sku", "name", "Color", "size", "style", "price", "in_stock", "quantity", "Supplier", "updated_on"},
			[]string{"61", "price", `"12,5O" is not a decimal`, "SK-00060", "Cashmere Plain", "Forest Green", "M", "no-show", "12,5O", "true", "52", "Hosiery & Co", "2026-10-01"})
	}

	// Again: the ledger knows every file.
	code, stdout, stderr = s.run(t, "import", "--config", config)
	if code != 0 {
		t.Fatalf("second sluice import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want = want[:0]
	for i, c := range sampleCounts {
		want = append(want, c.skipped(i+1))
	}
	checkLines(t, "second sluice import", sampleSummary(stdout), want)

	// Newest first: the six skips (runs 12 to 7), then the six imports.
	code, stdout, stderr = s.run(t, "history", "--config", config)
	if code != 0 {
		t.Fatalf("sluice history: exit %d\n%s", code, stderr)
	}
	want = want[:0]
	for i := len(sampleCounts) - 1; i >= 0; i-- {
		c := sampleCounts[i]
		want = append(want, fmt.Sprintf("%d %s sample-data/%s skipped 0 0 0 0 0 0", len(sampleCounts)+i+1, c.job, c.file))
	}
	for i := len(sampleCounts) - 1; i >= 0; i-- {
		c := sampleCounts[i]
		l := fmt.Sprintf("%d %s sample-data/%s ok %d %d %d %d %d 0", i+1, c.job, c.file, c.rows, c.inserted, c.updated, c.unchanged, c.rejected)
		if c.rejected > 0 {
			l += " rejects: " + rejectFile
		}
		want = append(want, l)
	}
	checkHistory(t, stdout, want)

	code, stdout, stderr = s.run(t, "check", "--config", config)
	if code != 0 {
		t.Fatalf("sluice check: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.HasSuffix(stdout, "\nIt works.\n") ||
		!strings.Contains(stdout, " ("+dialect+"): SELECT 1 ok\n") ||
		!strings.Contains(stdout, "\ndatabase: rows are loaded with "+bulkPaths[dialect]+"\n") ||
		!strings.Contains(stdout, "job socks: table socks ok (9 columns, primary key (sku))\n") ||
		!strings.Contains(stdout, "job stock: table stock_levels ok (5 columns, primary key (warehouse, sku))\n") {
		t.Errorf("sluice check:\n%s", stdout)
	}
}

// bulkPaths is what sluice check says of each database's bulk path: what
// the code really sends (the local MariaDB has local_infile on).
var bulkPaths = map[string]string{
	"sqlite":   "multi-row INSERT (100 rows a statement)",
	"postgres": "COPY (text)",
	"mysql":    "LOAD DATA LOCAL INFILE",
}

// imported is the summary line of c's import, as sampleSummary shows it.
func (c sampleCount) imported() string {
	l := fmt.Sprintf("%s sample-data/%s: %d rows, %d inserted, %d updated, %d unchanged, %d rejected in D",
		c.job, c.file, c.rows, c.inserted, c.updated, c.unchanged, c.rejected)
	if c.rejected > 0 {
		l += "; rejects in R"
	}
	return l
}

// skipped is the summary line of c's file skipped as imported by run id,
// as sampleSummary shows it.
func (c sampleCount) skipped(id int) string {
	return fmt.Sprintf("%s sample-data/%s: already imported (run %d, T); use --force to import it again", c.job, c.file, id)
}

var (
	// sampleRejectRE matches the reject file of socks-2026-10.csv, named
	// after the time of the run.
	sampleRejectRE = regexp.MustCompile(`; rejects in (rejects/socks-socks-2026-10-\d{8}T\d{6}\.\d{3}Z\.csv)$`)
	// skipTimeRE matches when the earlier import of a skipped file ran.
	skipTimeRE = regexp.MustCompile(`\(run (\d+), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)`)
)

// sampleSummary is summary(stdout) with reject file names replaced by R
// and the times of earlier runs by T.
func sampleSummary(stdout string) []string {
	lines := summary(stdout)
	for i, l := range lines {
		l = sampleRejectRE.ReplaceAllString(l, "; rejects in R")
		lines[i] = skipTimeRE.ReplaceAllString(l, "(run $1, T)")
	}
	return lines
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
