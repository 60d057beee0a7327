package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
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
// benchmark's schema copy, row checks and timing all run for real. It counts
// its calls in the -out directory and fails the FAILON-th one (0: none).
const fakeSluice = `#!/bin/sh
# usage: sluice import --config CFG --job socks FILE
[ "$1" = import ] && [ "$2" = --config ] && [ "$4" = --job ] || { echo "bad args: $*" >&2; exit 2; }
dir="$(dirname "$3")"
n=$(( $(cat "$dir/calls" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$dir/calls"
[ "$n" = FAILON ] && { echo "injected failure in call $n" >&2; exit 1; }
db="$dir/sluice.db"
SQLITE3 -bail "$db" <<SQL
CREATE TABLE IF NOT EXISTS socks (sku TEXT NOT NULL, name TEXT NOT NULL, style TEXT, size TEXT, colour TEXT, price DECIMAL(10,2), quantity BIGINT, in_stock BOOLEAN, updated_on DATE, UNIQUE (sku));
.mode csv
CREATE TEMP TABLE s (sku, name, Color, size, style, price, in_stock, quantity, Supplier, updated_on);
.import --skip 1 '$6' s
INSERT INTO socks SELECT sku, name, style, size, Color, price, quantity, in_stock, updated_on FROM s WHERE true
  ON CONFLICT (sku) DO UPDATE SET price = excluded.price, quantity = excluded.quantity, in_stock = excluded.in_stock, updated_on = excluded.updated_on;
SQL
`

// writeFake writes fakeSluice, failing its failOn-th call, and returns its path.
func writeFake(t *testing.T, sqlite3 string, failOn int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice")
	script := strings.NewReplacer("SQLITE3", sqlite3, "FAILON", strconv.Itoa(failOn)).Replace(fakeSluice)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	stepSluiceBase = "sluice import base.csv"
	stepRefBase    = "sqlite3 staging import base.csv (reference)"
	stepRefRaw     = "sqlite3 raw .import (no index, no types)"
	stepSluiceNext = "sluice import next.csv"
	stepRefNext    = "sqlite3 staging upsert next.csv (reference)"
)

func TestRun(t *testing.T) {
	t.Parallel()
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 CLI")
	}
	opts := sockgen.Options{Rows: 2000, Seed: 3, ChangePct: 10, NewPct: 5}
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name       string
		runs       int
		sluice     string // binary; empty: the fake, failing its failOn-th call
		failOn     int
		wantErr    string
		wantSchema string
		// wantFailed are the lines under "Failed steps:", each a prefix.
		wantFailed []string
	}{
		{name: "fake sluice", runs: 1, wantSchema: "copied from sluice.db"},
		{name: "fake sluice, 2 runs", runs: 2, wantSchema: "copied from sluice.db"},
		{name: "missing sluice", runs: 1, sluice: missing, wantErr: "2 of 5 steps failed", wantSchema: "fallback DDL",
			wantFailed: []string{"- " + stepSluiceBase + ": nope import --config ", "- " + stepSluiceNext + ": skipped: base import failed"}},
		{name: "missing sluice, 2 runs", runs: 2, sluice: missing, wantErr: "2 of 5 steps failed", wantSchema: "fallback DDL",
			wantFailed: []string{"- " + stepSluiceBase + " (runs 1, 2 of 2): nope import --config ", "- " + stepSluiceNext + " (runs 1, 2 of 2): skipped: base import failed"}},
		// Calls are base, next, base, next: the 4th is next.csv in run 2,
		// after both succeeded in run 1.
		{name: "next fails in run 2 of 2", runs: 2, failOn: 4, wantErr: "1 of 5 steps failed", wantSchema: "copied from sluice.db",
			wantFailed: []string{"- " + stepSluiceNext + " (run 2 of 2): sluice import --config "}},
		// The reference keeps the schema copied in run 1.
		{name: "base fails in run 2 of 3", runs: 3, failOn: 3, wantErr: "2 of 5 steps failed", wantSchema: "copied from sluice.db",
			wantFailed: []string{"- " + stepSluiceBase + " (run 2 of 3): sluice import --config ", "- " + stepSluiceNext + " (run 2 of 3): skipped: base import failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := tt.sluice
			if bin == "" {
				bin = writeFake(t, sqlite3, tt.failOn)
			}
			cfg := config{opts: opts, out: dir, sluice: bin, sqlite3: sqlite3, runs: tt.runs}
			var out bytes.Buffer
			err := run(context.Background(), discard, cfg, &out)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("run: err = %v, want %q", err, tt.wantErr)
			}
			report := out.String()
			runs := "1 run"
			if tt.runs > 1 {
				runs = fmt.Sprintf("%d runs", tt.runs)
			}
			for _, want := range []string{
				"### sluice-bench: 2,000 rows, 10% changed, 5% new (seed 3), " + runs + "\n",
				"- reference schema: " + tt.wantSchema,
				"\nseconds = median of the " + runs + ", ",
			} {
				if !strings.Contains(report, want) {
					t.Errorf("report lacks %q:\n%s", want, report)
				}
			}
			checkTable(t, report, tt.wantFailed)
			checkFailedList(t, report, tt.wantFailed)
			if calls, err := os.ReadFile(filepath.Join(dir, "calls")); tt.sluice == "" && err != nil {
				t.Error(err)
			} else if tt.sluice == "" {
				// Each run imports both files unless base failed.
				want := 2 * tt.runs
				if tt.failOn%2 == 1 {
					want--
				}
				if got := strings.TrimSpace(string(calls)); got != strconv.Itoa(want) {
					t.Errorf("fake sluice called %s times, want %d", got, want)
				}
			}
			// One log per step and run: name-runN.log when there are several.
			for r := 1; r <= tt.runs; r++ {
				for _, name := range []string{"sluice-base", "ref-base", "ref-raw", "ref-next"} {
					if tt.runs > 1 {
						name += "-run" + strconv.Itoa(r)
					}
					if !exists(filepath.Join(dir, "logs", name+".log")) {
						t.Errorf("no logs/%s.log", name)
					}
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

// checkTable checks the report's table: the header, one row per step in
// order, failed steps (those named in wantFailed) blank, the others with a
// median inside their range.
func checkTable(t *testing.T, report string, wantFailed []string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "|") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 7 {
		t.Fatalf("table has %d lines, want header, separator and 5 rows:\n%s", len(lines), report)
	}
	if want := "| step | rows | seconds | range s | rows/s | peak RSS MiB | vs reference |"; lines[0] != want {
		t.Errorf("header = %q, want %q", lines[0], want)
	}
	if want := "| --- | ---: | ---: | ---: | ---: | ---: | --- |"; lines[1] != want {
		t.Errorf("separator = %q, want %q", lines[1], want)
	}
	failed := func(name string) bool {
		for _, f := range wantFailed {
			if strings.HasPrefix(f, "- "+name+" ") || strings.HasPrefix(f, "- "+name+":") {
				return true
			}
		}
		return false
	}
	rangeRE := regexp.MustCompile(`^(\d+\.\d\d)–(\d+\.\d\d)$`)
	for i, want := range []struct {
		name, rows, vs string
	}{
		{stepSluiceBase, "2,000", `^\d+\.\d\d×$`},
		{stepRefBase, "2,000", "^reference$"},
		{stepRefRaw, "2,000", "^lower bound$"},
		{stepSluiceNext, "2,100", `^\d+\.\d\d×$`},
		{stepRefNext, "2,100", "^reference$"},
	} {
		row := lines[2+i]
		cells := strings.Split(strings.Trim(row, "| "), " | ")
		if len(cells) != 7 {
			t.Errorf("row %q has %d cells, want 7", row, len(cells))
			continue
		}
		if cells[0] != want.name || cells[1] != want.rows {
			t.Errorf("row %d = %q, want step %q with %s rows", i, row, want.name, want.rows)
		}
		if failed(want.name) {
			if exp := "| " + want.name + " | " + want.rows + " | — | — | — | — | failed |"; row != exp {
				t.Errorf("row = %q, want %q", row, exp)
			}
			continue
		}
		secs, err := strconv.ParseFloat(cells[2], 64)
		m := rangeRE.FindStringSubmatch(cells[3])
		if err != nil || m == nil {
			t.Errorf("row %q: want seconds and a min–max range", row)
			continue
		}
		lo, _ := strconv.ParseFloat(m[1], 64)
		hi, _ := strconv.ParseFloat(m[2], 64)
		if lo > secs || secs > hi {
			t.Errorf("row %q: median %s outside range %s", row, cells[2], cells[3])
		}
		if _, err := strconv.ParseFloat(cells[5], 64); err != nil || cells[4] == "" {
			t.Errorf("row %q: want rows/s and peak RSS", row)
		}
		if !regexp.MustCompile(want.vs).MatchString(cells[6]) {
			t.Errorf("row %q: vs reference %q does not match %s", row, cells[6], want.vs)
		}
	}
}

// checkFailedList checks that the lines under "Failed steps:" start with
// wantFailed, in order, and that there is no such list without failures.
func checkFailedList(t *testing.T, report string, wantFailed []string) {
	t.Helper()
	_, list, ok := strings.Cut(report, "\nFailed steps:\n")
	if !ok {
		if len(wantFailed) > 0 {
			t.Errorf("report lists no failed steps, want %q:\n%s", wantFailed, report)
		}
		return
	}
	got := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(got) != len(wantFailed) {
		t.Fatalf("failed steps:\n%s\nwant %d lines starting %q", list, len(wantFailed), wantFailed)
	}
	for i := range got {
		if !strings.HasPrefix(got[i], wantFailed[i]) {
			t.Errorf("failed step %d = %q, want prefix %q", i, got[i], wantFailed[i])
		}
	}
}

// TestReport checks the aggregation exactly, on made-up timings: the
// median, the range, the highest RSS, ratios of medians, and steps that
// failed in some runs.
func TestReport(t *testing.T) {
	t.Parallel()
	o := sockgen.Options{Rows: 1000, Seed: 1, ChangePct: 10, NewPct: 5}
	type m struct {
		secs   float64
		rssKiB int64
		err    error
	}
	boom, skipped := errors.New("boom"), errors.New("skipped")
	// Per step, its measurement in each of the 3 runs.
	meas := map[string][]m{
		stepSluiceBase: {{3, 2048, nil}, {1, 4096, nil}, {2, 1024, nil}},
		stepRefBase:    {{4, 1024, nil}, {5, 1024, nil}, {4, 1024, nil}},
		stepRefRaw:     {{1, 512, nil}, {0, 0, boom}, {1, 512, nil}},
		stepSluiceNext: {{2.5, 2048, nil}, {2.1, 2048, nil}, {2.2, 2048, nil}},
		stepRefNext:    {{5, 1024, nil}, {0, 0, skipped}, {0, 0, skipped}},
	}
	b := newBench(config{opts: o, runs: 3}, discard, nil)
	for r := range 3 {
		b.startRun(r + 1)
		for _, s := range b.steps {
			x := meas[s.name][r]
			s.elapsed, s.rssKiB, s.err = time.Duration(x.secs*float64(time.Second)), x.rssKiB, x.err
		}
		b.runs = append(b.runs, b.steps)
	}
	results := summarize(b.runs)
	if n := countFailed(results); n != 2 {
		t.Errorf("countFailed = %d, want 2", n)
	}
	e := env{goVersion: "go1.0", platform: "os/arch", cpu: "2 CPUs", sqlite: "3.0.0", sluiceBuild: "go build (no tags)"}
	var out bytes.Buffer
	if err := printReport(&out, e, o, 3, results, "fallback DDL"); err != nil {
		t.Fatal(err)
	}
	want := `### sluice-bench: 1,000 rows, 10% changed, 5% new (seed 1), 3 runs

- go: go1.0, os/arch, 2 CPUs
- sqlite3: 3.0.0
- sluice: go build (no tags)
- reference schema: fallback DDL

| step | rows | seconds | range s | rows/s | peak RSS MiB | vs reference |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
| sluice import base.csv | 1,000 | 2.00 | 1.00–3.00 | 500 | 4.0 | 2.00× |
| sqlite3 staging import base.csv (reference) | 1,000 | 4.00 | 4.00–5.00 | 250 | 1.0 | reference |
| sqlite3 raw .import (no index, no types) | 1,000 | — | — | — | — | failed |
| sluice import next.csv | 1,050 | 2.20 | 2.10–2.50 | 477 | 2.0 | — |
| sqlite3 staging upsert next.csv (reference) | 1,050 | — | — | — | — | failed |

seconds = median of the 3 runs, run interleaved, each on fresh databases; range s = fastest–slowest run; peak RSS = the highest of the runs.
vs reference = median seconds of the sqlite3 reference for the same file / median sluice seconds: above 1 means sluice is faster.

Failed steps:
- sqlite3 raw .import (no index, no types) (run 2 of 3): boom
- sqlite3 staging upsert next.csv (reference) (runs 2, 3 of 3): skipped
`
	if got := out.String(); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		secs []float64
		want float64
	}{
		{nil, 0},
		{[]float64{7}, 7},
		{[]float64{4, 1}, 2.5},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := (&result{secs: tt.secs}).median(); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.secs, got, tt.want)
		}
	}
}

func TestParseFlagsRuns(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args    []string
		want    int
		wantErr string
	}{
		{nil, 3, ""},
		{[]string{"-runs", "1"}, 1, ""},
		{[]string{"-runs", "5"}, 5, ""},
		{[]string{"-runs", "0"}, 0, "-runs 0: must be at least 1"},
		{[]string{"-runs", "-2"}, 0, "-runs -2: must be at least 1"},
	} {
		c, err := parseFlags(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseFlags(%q): err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.runs != tt.want {
			t.Errorf("parseFlags(%q) = runs %d, err %v; want %d", tt.args, c.runs, err, tt.want)
		}
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

// TestRunSyncAlt runs the real sluice with -sync and -alt: each binary,
// and the sqlite3 CLI by hand, gets its own upsert and sync of gone.csv,
// each sync a ratio of its own upsert, and every sync leaves the table as
// gone.csv has it (the bench checks the row count after every step).
func TestRunSyncAlt(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds sluice")
	}
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 CLI")
	}
	out := t.TempDir()
	alt := filepath.Join(t.TempDir(), "sluice-alt")
	if b, err := exec.Command("go", "build", "-o", alt, "../sluice").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cfg, err := parseFlags([]string{"-rows", "2000", "-runs", "1", "-sync", "5", "-alt", alt, "-alt-name", "again", "-sqlite3", sqlite3, "-out", out})
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	if err := run(context.Background(), discard, cfg, &report); err != nil {
		t.Fatalf("run: %v\n%s", err, report.String())
	}
	for _, who := range []string{"sluice", "sluice (again)"} {
		for _, re := range []string{
			`(?m)^\| ` + regexp.QuoteMeta(who) + ` import gone\.csv, mode: upsert \| 1,995 \| \d+\.\d\d \| .* \| reference for sync \|$`,
			`(?m)^\| ` + regexp.QuoteMeta(who) + ` import gone\.csv, mode: sync \(5 % deleted\) \| 1,995 \| \d+\.\d\d \| .* \| \d+\.\d\d× \|$`,
		} {
			if !regexp.MustCompile(re).MatchString(report.String()) {
				t.Errorf("report lacks a row matching %s:\n%s", re, report.String())
			}
		}
	}
	for _, re := range []string{
		`(?m)^\| sqlite3 staging upsert gone\.csv, changed rows only \(reference\) \| 1,995 \| \d+\.\d\d \| .* \| reference \|$`,
		`(?m)^\| sqlite3 staging sync gone\.csv \(5 % deleted, reference\) \| 1,995 \| \d+\.\d\d \| .* \| \d+\.\d\d× \|$`,
	} {
		if !regexp.MustCompile(re).MatchString(report.String()) {
			t.Errorf("report lacks a row matching %s:\n%s", re, report.String())
		}
	}
	if strings.Contains(report.String(), "Failed steps") {
		t.Errorf("steps failed:\n%s", report.String())
	}
}
