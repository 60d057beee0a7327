package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sampleCounts is the table of sample-data/README.md: what importing each
// job's files in name order into a fresh database gives.
var sampleCounts = []struct {
	job, file                                    string
	rows, inserted, updated, unchanged, rejected int
}{
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
// shipped config and sample data: import, import again, history, check.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "sluice")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "work")
	copyFile(t, "../../config.yaml", filepath.Join(work, "config.yaml"))
	entries, err := os.ReadDir("../../sample-data")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			copyFile(t, filepath.Join("../../sample-data", e.Name()), filepath.Join(work, "sample-data", e.Name()))
		}
	}
	config := filepath.Join(work, "config.yaml")

	// The machine's DATABASE_URL or SLUICE_CONFIG must not redirect the
	// run; PWD follows Dir so paths print relative to the work folder.
	var environ []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "DATABASE_URL" && name != "SLUICE_CONFIG" && name != "PWD" {
			environ = append(environ, kv)
		}
	}
	environ = append(environ, "PWD="+work)
	sluice := func(args ...string) (code int, stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = environ
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			code = ee.ExitCode()
		default:
			t.Fatalf("run sluice %s: %v", strings.Join(args, " "), err)
		}
		return code, out.String(), errOut.String()
	}

	code, stdout, stderr := sluice("import", "--config", config)
	if code != 0 {
		t.Fatalf("sluice import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rejectRE := regexp.MustCompile(`; rejects in (rejects/socks-socks-2026-10-\d{8}T\d{6}\.\d{3}Z\.csv)$`)
	var rejectFile string
	lines := summary(stdout)
	for i, l := range lines {
		if m := rejectRE.FindStringSubmatch(l); m != nil {
			rejectFile = m[1]
			lines[i] = rejectRE.ReplaceAllString(l, "; rejects in R")
		}
	}
	var want []string
	for _, c := range sampleCounts {
		l := fmt.Sprintf("%s sample-data/%s: %d rows, %d inserted, %d updated, %d unchanged, %d rejected in D",
			c.job, c.file, c.rows, c.inserted, c.updated, c.unchanged, c.rejected)
		if c.rejected > 0 {
			l += "; rejects in R"
		}
		want = append(want, l)
	}
	checkLines(t, "sluice import", lines, want)
	if _, err := os.Stat(filepath.Join(work, "sockmarket.db")); err != nil {
		t.Errorf("database next to the config: %v", err)
	}

	// The one bad row: line 61 of October, SK-00060's price "12,5O".
	if rejectFile == "" {
		t.Error("the October summary names no reject file")
	} else {
		checkRejectFile(t, filepath.Join(work, rejectFile),
			[]string{"line", "column", "reason", "sku", "name", "Color", "size", "style", "price", "in_stock", "quantity", "Supplier", "updated_on"},
			[]string{"61", "price", `"12,5O" is not a decimal`, "SK-00060", "Cashmere Plain", "Forest Green", "M", "no-show", "12,5O", "true", "52", "Hosiery & Co", "2026-10-01"})
	}

	// Again: the ledger knows every file.
	code, stdout, stderr = sluice("import", "--config", config)
	if code != 0 {
		t.Fatalf("second sluice import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	skipRE := regexp.MustCompile(`\(run (\d+), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)`)
	lines = summary(stdout)
	for i, l := range lines {
		lines[i] = skipRE.ReplaceAllString(l, "(run $1, T)")
	}
	want = want[:0]
	for i, c := range sampleCounts {
		want = append(want, fmt.Sprintf("%s sample-data/%s: already imported (run %d, T); use --force to import it again", c.job, c.file, i+1))
	}
	checkLines(t, "second sluice import", lines, want)

	code, stdout, stderr = sluice("history", "--config", config)
	if code != 0 {
		t.Fatalf("sluice history: exit %d\n%s", code, stderr)
	}
	// A header, then the six imports and the six skips.
	if n := strings.Count(stdout, "\n"); n != 13 || strings.Count(stdout, " ok ") != 6 || strings.Count(stdout, " skipped ") != 6 {
		t.Errorf("sluice history: want a header, 6 ok and 6 skipped runs; got %d lines:\n%s", n, stdout)
	}

	code, stdout, stderr = sluice("check", "--config", config)
	if code != 0 {
		t.Fatalf("sluice check: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.HasSuffix(stdout, "\nIt works.\n") ||
		!strings.Contains(stdout, "job socks: table socks ok (9 columns, unique key (sku))\n") ||
		!strings.Contains(stdout, "job stock: table stock_levels ok (5 columns, unique key (warehouse, sku))\n") {
		t.Errorf("sluice check:\n%s", stdout)
	}
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
