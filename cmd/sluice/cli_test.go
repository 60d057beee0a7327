package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// cliConfig has two jobs so FILE arguments need --job. Relative paths
// resolve against the config's folder.
const cliConfig = `database:
  url: sqlite:///test.db
jobs:
  - name: socks
    source: {path: "data/socks-*.csv"}
    table: socks
    key: [sku]
    columns:
      - {name: sku}
      - {name: name, required: true}
      - {name: price, type: decimal, precision: 10, scale: 2}
      - {name: quantity, type: integer}
    rejects: {max: 1}
  - name: stock
    source: {path: "data/stock-*.csv"}
    table: stock_levels
    key: [warehouse, sku]
    columns:
      - {name: warehouse}
      - {name: sku}
      - {name: on_hand, type: integer}
`

// socks01 has one bad price on line 4; extra is a column no job reads.
const socks01 = `sku,name,price,quantity,extra
SK-1,"Wool, ""Thick""",4.50,10,x
SK-2,Cotton,3.00,,y
SK-3,Silk,abc,5,z
SK-4,Bamboo,2.25,7,w
`

// socks02 keeps SK-1 and SK-4, changes SK-2's price and adds SK-5 twice
// (the last occurrence wins).
const socks02 = `sku,name,price,quantity,extra
SK-1,"Wool, ""Thick""",4.50,10,x
SK-2,Cotton,3.50,,y
SK-4,Bamboo,2.25,7,w
SK-5,Linen,9.99,1,v
SK-5,Linen,9.49,2,v
`

const stock01 = `warehouse,sku,on_hand
AMS,SK-1,5
LYS,SK-1,7
`

// cliSetup is a config, its data files and an empty database folder.
type cliSetup struct {
	dir, config string
	env         map[string]string
}

func newCLISetup(t *testing.T, config string, files map[string]string) *cliSetup {
	t.Helper()
	dir := t.TempDir()
	s := &cliSetup{dir: dir, config: filepath.Join(dir, "config.yaml"), env: map[string]string{}}
	files["config.yaml"] = config
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func newDefaultSetup(t *testing.T) *cliSetup {
	return newCLISetup(t, cliConfig, map[string]string{
		"data/socks-01.csv": socks01,
		"data/socks-02.csv": socks02,
		"data/stock-01.csv": stock01,
	})
}

func (s *cliSetup) path(name string) string { return filepath.Join(s.dir, name) }

// run runs sluice in-process with the setup's environment (never the
// real one, so DATABASE_URL and SLUICE_CONFIG of the machine running the
// tests cannot leak in). "{config}" in args is the config path.
func (s *cliSetup) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{config}", s.config)
	}
	var out, errOut bytes.Buffer
	lookup := func(name string) (string, bool) {
		v, ok := s.env[name]
		return v, ok
	}
	code = run(context.Background(), args, &env{stdout: &out, stderr: &errOut, lookup: lookup})
	return code, out.String(), errOut.String()
}

// durationRE matches the variable part of a summary line.
var durationRE = regexp.MustCompile(` in [0-9.]+[µnm]?s \([0-9]+ rows/s\)`)

// summary returns stdout's lines with durations and rates replaced by
// " in D".
func summary(stdout string) []string {
	out := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for i, l := range out {
		out[i] = durationRE.ReplaceAllString(l, " in D")
	}
	return out
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	bad := newCLISetup(t, "database:\n  url: sqlite:///x.db\njobs: []\n", map[string]string{})
	ftp := newCLISetup(t, strings.Replace(cliConfig, "sqlite:///test.db", "ftp://user:secret@host/x.db", 1), map[string]string{})
	const topUsage = "sluice imports CSV dumps into a SQL database, exactly once per file.\n" +
		"\nUsage: sluice <command> [flags] [arguments]\n" +
		"\nCommands:\n" +
		"  init      print a config.yaml inferred from a CSV file (or add its job)\n" +
		"  import    import CSV files now (all jobs, one job, or given files)\n" +
		"  daemon    run every job on its cron schedule until stopped\n" +
		"  check     check the database connection and every job's table\n" +
		"  history   list recent runs from the ledger\n" +
		"  models    print the Flask-SQLAlchemy models.py of the jobs' tables\n" +
		"  systemd   print or write systemd units for the import timer and the daemon\n" +
		"  version   print the version and the database drivers\n" +
		"\nRun 'sluice <command> --help' for a command's flags and examples.\n"
	tests := []struct {
		name   string
		setup  *cliSetup
		args   []string
		code   int
		stderr string // exact, unless prefix or contains is set
		// prefix/contains: stderr must start with/contain each.
		prefix   string
		contains []string
	}{
		{name: "no arguments", args: nil, code: 2, stderr: topUsage},
		{name: "--help", args: []string{"--help"}, code: 0, stderr: topUsage},
		{name: "-h", args: []string{"-h"}, code: 0, stderr: topUsage},
		{name: "help", args: []string{"help"}, code: 0, stderr: topUsage},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: "sluice: unknown command \"frobnicate\"\n\n" + topUsage},
		{
			name: "import --help", args: []string{"import", "--help"}, code: 0,
			prefix:   "Usage: sluice import [--job NAME] [--force] [--dry-run] [FILE...]\n\n",
			contains: []string{"  -dry-run\n", "  -config string\n", "\nExamples:\n" + importExamples},
		},
		{
			name: "check --help", args: []string{"check", "-h"}, code: 0,
			prefix: "Usage: sluice check\n\n", contains: []string{"\nExamples:\n" + checkExamples},
		},
		{
			name: "history --help", args: []string{"history", "--help"}, code: 0,
			prefix: "Usage: sluice history [--job NAME] [-n COUNT]\n\n", contains: []string{"\nExamples:\n" + historyExamples},
		},
		{
			name: "unknown flag", args: []string{"import", "--nope"}, code: 2,
			stderr: "sluice: unknown flag --nope\nTry: sluice import --help\n",
		},
		{
			name: "misspelt flag", args: []string{"import", "--josb", "socks"}, code: 2,
			stderr: "sluice: unknown flag --josb; did you mean --job?\nTry: sluice import --help\n",
		},
		{
			name: "flag cut short", args: []string{"import", "--forc"}, code: 2,
			stderr: "sluice: unknown flag --forc; did you mean --force?\nTry: sluice import --help\n",
		},
		{
			name: "unknown short flag", args: []string{"history", "-m", "3"}, code: 2,
			stderr: "sluice: unknown flag -m\nTry: sluice history --help\n",
		},
		{
			name: "misspelt command", args: []string{"improt"}, code: 2,
			stderr: "sluice: unknown command \"improt\"; did you mean import?\n\n" + topUsage,
		},
		{
			name: "global flags before the command", args: []string{"--config", "{config}", "--log-level=warn", "history", "extra"}, code: 2,
			stderr: "sluice: unexpected argument \"extra\"\nTry: sluice history --help\n",
		},
		{
			name: "misspelt global flag before the command", args: []string{"--confg", "x.yaml", "import"}, code: 2,
			stderr: "sluice: unknown flag --confg before the command; did you mean --config?\n" +
				"Try: sluice --config config.yaml import (only --config, --log-format and --log-level go before the command)\n",
		},
		{
			name: "global flag without a command", args: []string{"--config", "x.yaml"}, code: 2,
			stderr: "sluice: no command after --config x.yaml\nTry: sluice --config x.yaml import\n",
		},
		{
			name: "bad log level", args: []string{"import", "--config", "{config}", "--log-level", "loud"}, code: 2,
			stderr: "sluice: bad --log-level \"loud\"\nTry: --log-level info\n",
		},
		{
			name: "bad log format", args: []string{"history", "--config", "{config}", "--log-format", "xml"}, code: 2,
			stderr: "sluice: bad --log-format \"xml\" (want text or json)\nTry: --log-format json\n",
		},
		{
			name: "history -n 0", args: []string{"history", "-n", "0"}, code: 2,
			stderr: "sluice: -n must be at least 1\nTry: sluice history -n 20\n",
		},
		{
			name: "check with an argument", args: []string{"check", "--config", "{config}", "extra"}, code: 2,
			stderr: "sluice: unexpected argument \"extra\"\nTry: sluice check --help\n",
		},
		{
			name: "history with an argument", args: []string{"history", "extra", "-n", "3"}, code: 2,
			stderr: "sluice: unexpected argument \"extra\"\nTry: sluice history --help\n",
		},
		{
			name: "version with an argument", args: []string{"version", "extra"}, code: 2,
			stderr: "sluice: unexpected argument \"extra\"\nTry: sluice version --help\n",
		},
		{
			name: "unknown flag after a file", args: []string{"import", "x.csv", "--nope"}, code: 2,
			stderr: "sluice: unknown flag --nope\nTry: sluice import --help\n",
		},
		{
			name: "import unknown job", args: []string{"import", "--config", "{config}", "--job", "hats"}, code: 2,
			stderr: "sluice: " + s.config + ": no job named \"hats\" (jobs: socks, stock)\nTry: sluice import --job NAME\n",
		},
		{
			name: "history unknown job", args: []string{"history", "--config", "{config}", "--job", "hats"}, code: 2,
			stderr: "sluice: " + s.config + ": no job named \"hats\" (jobs: socks, stock)\nTry: sluice history --job NAME\n",
		},
		{
			name: "FILE without --job", args: []string{"import", "--config", "{config}", "x.csv"}, code: 2,
			stderr: "sluice: FILE arguments need --job: which table should they go to?\nTry: sluice import --job socks x.csv\n",
		},
		{
			name: "config error", setup: bad, args: []string{"import", "--config", "{config}"}, code: 2,
			stderr: "sluice: config error: " + bad.config + ": jobs: no jobs declared\n",
		},
		{
			name: "config error in check", setup: bad, args: []string{"check", "--config", "{config}"}, code: 2,
			stderr: "sluice: config error: " + bad.config + ": jobs: no jobs declared\n",
		},
		{
			name: "unsupported database", setup: ftp, args: []string{"import", "--config", "{config}"}, code: 2,
			stderr: "sluice: config error: database url \"ftp://user:xxxxx@host/x.db\": unsupported scheme \"ftp\" (sluice supports sqlite, postgresql and mysql/mariadb)" +
				" (expected e.g. sqlite:///relative.db or sqlite:////absolute/path.db, postgresql://user:password@host:5432/database?sslmode=disable or mysql://user:password@host:3306/database?charset=utf8mb4)\n",
		},
		{
			// A config file that is not there is a mistake on the command
			// line (or in SLUICE_CONFIG), not a failed import.
			// A hint may follow.
			name: "missing config file", args: []string{"import", "--config", "{config}.missing"}, code: 2,
			prefix: "sluice: config error: " + s.config + ".missing: cannot read it: no such file or directory (give the path with --config or SLUICE_CONFIG)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			setup := tt.setup
			if setup == nil {
				setup = s
			}
			code, stdout, stderr := setup.run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if tt.prefix == "" && tt.contains == nil {
				if stderr != tt.stderr {
					t.Errorf("stderr:\n got %q\nwant %q", stderr, tt.stderr)
				}
				return
			}
			if !strings.HasPrefix(stderr, tt.prefix) {
				t.Errorf("stderr does not start with %q:\n%s", tt.prefix, stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(stderr, c) {
					t.Errorf("stderr does not contain %q:\n%s", c, stderr)
				}
			}
		})
	}
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	socks1, socks2, stock1 := s.path("data/socks-01.csv"), s.path("data/socks-02.csv"), s.path("data/stock-01.csv")

	// Dry run: the counts, then nothing in the ledger.
	code, stdout, stderr := s.run(t, "import", "--config", "{config}", "--dry-run")
	if code != 0 {
		t.Fatalf("import --dry-run: exit %d\n%s", code, stderr)
	}
	rejectRE := regexp.MustCompile(`; rejects in (` + regexp.QuoteMeta(s.path("rejects")) + `/socks-socks-01-\d{8}T\d{6}\.\d{3}Z\.csv)$`)
	lines := summary(stdout)
	if len(lines) == 3 {
		lines[0] = rejectRE.ReplaceAllString(lines[0], "; rejects in R")
	}
	checkLines(t, "import --dry-run", lines, []string{
		"dry run: socks " + socks1 + ": 4 rows, 3 inserted, 0 updated, 0 unchanged, 1 rejected in D; rejects in R",
		"dry run: socks " + socks2 + ": 5 rows, 4 inserted, 0 updated, 0 unchanged, 0 rejected in D; 1 duplicate keys (last wins)",
		"dry run: stock " + stock1 + ": 2 rows, 2 inserted, 0 updated, 0 unchanged, 0 rejected in D",
	})
	if code, stdout, _ := s.run(t, "history", "--config", "{config}"); code != 0 || stdout != "no runs recorded yet\n" {
		t.Errorf("history after a dry run: exit %d, stdout %q; want 0, no runs", code, stdout)
	}

	// The real import.
	code, stdout, stderr = s.run(t, "import", "--config", "{config}")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	lines = summary(stdout)
	var rejectFile string
	if len(lines) == 3 {
		if m := rejectRE.FindStringSubmatch(lines[0]); m != nil {
			rejectFile = m[1]
		}
		lines[0] = rejectRE.ReplaceAllString(lines[0], "; rejects in R")
	}
	checkLines(t, "import", lines, []string{
		"socks " + socks1 + ": 4 rows, 3 inserted, 0 updated, 0 unchanged, 1 rejected in D; rejects in R",
		"socks " + socks2 + ": 5 rows, 1 inserted, 1 updated, 2 unchanged, 0 rejected in D; 1 duplicate keys (last wins)",
		"stock " + stock1 + ": 2 rows, 2 inserted, 0 updated, 0 unchanged, 0 rejected in D",
	})
	if !strings.Contains(stderr, `msg="ignoring CSV columns no column reads" job=socks`) {
		t.Errorf("stderr does not warn about the extra column:\n%s", stderr)
	}
	if rejectFile == "" {
		t.Error("the summary of socks-01.csv names no reject file")
	} else {
		checkRejectFile(t, rejectFile, []string{"line", "column", "reason", "sku", "name", "price", "quantity", "extra"},
			[]string{"4", "price", `"abc" is not a decimal`, "SK-3", "Silk", "abc", "5", "z"})
	}

	// Again: every file is in the ledger.
	code, stdout, stderr = s.run(t, "import", "--config", "{config}")
	if code != 0 {
		t.Fatalf("second import: exit %d\n%s", code, stderr)
	}
	skipRE := regexp.MustCompile(`\(run (\d+), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)`)
	lines = summary(stdout)
	for i := range lines {
		lines[i] = skipRE.ReplaceAllString(lines[i], "(run $1, T)")
	}
	checkLines(t, "second import", lines, []string{
		"socks " + socks1 + ": already imported (run 1, T); use --force to import it again",
		"socks " + socks2 + ": already imported (run 2, T); use --force to import it again",
		"stock " + stock1 + ": already imported (run 3, T); use --force to import it again",
	})

	// One file by name, forced.
	code, stdout, stderr = s.run(t, "import", "--config", "{config}", "--job", "socks", "--force", socks2)
	if code != 0 {
		t.Fatalf("import --force FILE: exit %d\n%s", code, stderr)
	}
	checkLines(t, "import --force --job socks FILE", summary(stdout), []string{
		"socks " + socks2 + ": 5 rows, 0 inserted, 0 updated, 4 unchanged, 0 rejected in D; 1 duplicate keys (last wins)",
	})

	// The ledger holds the three imports, the three skips and the forced one.
	code, stdout, stderr = s.run(t, "history", "--config", "{config}")
	if code != 0 {
		t.Fatalf("history: exit %d\n%s", code, stderr)
	}
	checkHistory(t, stdout, []string{
		"7 socks " + socks2 + " ok 5 0 0 4 0 0 forced",
		"6 stock " + stock1 + " skipped 0 0 0 0 0 0",
		"5 socks " + socks2 + " skipped 0 0 0 0 0 0",
		"4 socks " + socks1 + " skipped 0 0 0 0 0 0",
		"3 stock " + stock1 + " ok 2 2 0 0 0 0",
		"2 socks " + socks2 + " ok 5 1 1 2 0 0",
		"1 socks " + socks1 + " ok 4 3 0 0 1 0 rejects: " + rejectFile,
	})
	code, stdout, _ = s.run(t, "history", "--config", "{config}", "--job", "stock", "-n", "1")
	if code != 0 {
		t.Fatalf("history --job stock -n 1: exit %d", code)
	}
	checkHistory(t, stdout, []string{"6 stock " + stock1 + " skipped 0 0 0 0 0 0"})

	// The tables hold what the summaries said.
	db, err := models.Open(context.Background(), "sqlite:///test.db", s.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []string
	err = db.Bun.NewRaw(`SELECT sku || '|' || name || '|' || price || '|' || coalesce(quantity, 'NULL') FROM socks ORDER BY sku`).
		Scan(context.Background(), &got)
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, "socks table", got, []string{
		`SK-1|Wool, "Thick"|4.5|10`, "SK-2|Cotton|3.5|NULL", "SK-4|Bamboo|2.25|7", "SK-5|Linen|9.49|2",
	})
}

// checkHistory compares the history table, one run a line, with its
// columns joined by single spaces, leaving out the times and durations.
func checkHistory(t *testing.T, stdout string, want []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	header := strings.Fields(lines[0])
	wantHeader := []string{"ID", "FINISHED", "(UTC)", "JOB", "FILE", "STATUS", "ROWS", "INSERTED", "UPDATED", "UNCHANGED", "REJECTED", "DELETED", "DURATION", "NOTE"}
	if strings.Join(header, " ") != strings.Join(wantHeader, " ") {
		t.Errorf("history header = %q", lines[0])
	}
	var got []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 13 {
			t.Errorf("short history line %q", l)
			continue
		}
		// ID, date, time, job, file, status, 6 counts, duration, note...
		row := append([]string{f[0]}, f[3:12]...)
		row = append(row, f[13:]...)
		got = append(got, strings.Join(row, " "))
	}
	checkLines(t, "history", got, want)
}

func checkRejectFile(t *testing.T, path string, header, row []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(recs) != 2 {
		t.Fatalf("%s has %d records, want a header and one row: %q", path, len(recs), recs)
	}
	checkLines(t, "reject header", recs[0], header)
	// The reason is the converter's; its start names the bad value.
	got := append([]string(nil), recs[1]...)
	if len(got) == len(row) && strings.HasPrefix(got[2], row[2]) {
		got[2] = row[2]
	}
	checkLines(t, "reject row", got, row)
}

func TestImportFailedFile(t *testing.T) {
	t.Parallel()
	s := newCLISetup(t, strings.Replace(cliConfig, "rejects: {max: 1}", "rejects: {max: 0}", 1), map[string]string{
		"data/socks-01.csv": socks01,
		"data/socks-02.csv": socks02,
	})
	socks1, socks2 := s.path("data/socks-01.csv"), s.path("data/socks-02.csv")
	code, stdout, stderr := s.run(t, "import", "--config", "{config}", "--job", "socks")
	if code != 1 {
		t.Fatalf("import: exit %d, want 1\n%s", code, stderr)
	}
	lines := summary(stdout)
	failRE := regexp.MustCompile(`\(see ` + regexp.QuoteMeta(s.path("rejects")) + `/socks-socks-01-\d{8}T\d{6}\.\d{3}Z\.csv\)$`)
	if len(lines) == 2 {
		lines[0] = failRE.ReplaceAllString(lines[0], "(see R)")
	}
	// A failed file does not stop the next one.
	checkLines(t, "import", lines, []string{
		"socks " + socks1 + ": FAILED after 3 rows: " + socks1 + ": more than rejects.max 0 rows rejected (stopped at line 4); nothing was imported (see R)",
		"socks " + socks2 + ": 5 rows, 4 inserted, 0 updated, 0 unchanged, 0 rejected in D; 1 duplicate keys (last wins)",
	})
	code, stdout, _ = s.run(t, "history", "--config", "{config}")
	if code != 0 {
		t.Fatalf("history: exit %d", code)
	}
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 3 ||
		!strings.Contains(lines[1], " ok ") || !strings.Contains(lines[2], " failed ") ||
		!strings.Contains(lines[2], "more than rejects.max 0 rows rejected") {
		t.Errorf("history after a failed file:\n%s", stdout)
	}
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	code, stdout, stderr := s.run(t, "check", "--config", "{config}")
	if code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, stdout, stderr)
	}
	checkLines(t, "check on a fresh database", strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"), []string{
		"config " + s.config + ": 2 job(s)",
		"database sqlite:///test.db (sqlite): SELECT 1 ok",
		"database: rows are loaded with multi-row INSERT (100 rows a statement)",
		"database: may create tables, insert and update",
		"job socks: table socks does not exist yet; sluice import will create it with the primary key (sku)",
		"job socks: 2 file(s) match " + s.path("data/socks-*.csv"),
		`job socks: CSV column "extra" in 2 of 2 file(s) is read by no column, and ignored`,
		"job stock: table stock_levels does not exist yet; sluice import will create it with the primary key (warehouse, sku)",
		"job stock: 1 file(s) match " + s.path("data/stock-*.csv"),
		"It works.",
	})

	// DATABASE_URL wins over the file; after an import the tables exist.
	s.env["DATABASE_URL"] = "sqlite:///other.db"
	if code, _, stderr := s.run(t, "import", "--config", "{config}"); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = s.run(t, "check", "--config", "{config}")
	if code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, stdout, stderr)
	}
	checkLines(t, "check after an import", strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"), []string{
		"config " + s.config + ": 2 job(s)",
		"database sqlite:///other.db (sqlite): SELECT 1 ok",
		"database: rows are loaded with multi-row INSERT (100 rows a statement)",
		"database: may create tables, insert and update",
		"job socks: table socks ok (4 columns, primary key (sku))",
		"job socks: 2 file(s) match " + s.path("data/socks-*.csv"),
		`job socks: CSV column "extra" in 2 of 2 file(s) is read by no column, and ignored`,
		"job stock: table stock_levels ok (3 columns, primary key (warehouse, sku))",
		"job stock: 1 file(s) match " + s.path("data/stock-*.csv"),
		"It works.",
	})
	if _, err := os.Stat(s.path("other.db")); err != nil {
		t.Errorf("DATABASE_URL's database: %v", err)
	}
}

func TestCheckBadTable(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	db, err := models.Open(context.Background(), "sqlite:///test.db", s.dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Bun.ExecContext(context.Background(), `CREATE TABLE socks (sku TEXT PRIMARY KEY, name TEXT, quantity INTEGER)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := s.run(t, "check", "--config", "{config}")
	if code != 1 {
		t.Errorf("check: exit %d, want 1", code)
	}
	checkLines(t, "check with a bad table", strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"), []string{
		"config " + s.config + ": 2 job(s)",
		"database sqlite:///test.db (sqlite): SELECT 1 ok",
		"database: rows are loaded with multi-row INSERT (100 rows a statement)",
		"database: may create tables, insert and update",
		"job socks: table socks: declared column(s) price missing from the existing table (it has sku, name, quantity); add them or fix config.yaml",
		"job socks: 2 file(s) match " + s.path("data/socks-*.csv"),
		`job socks: CSV column "extra" in 2 of 2 file(s) is read by no column, and ignored`,
		"job stock: table stock_levels does not exist yet; sluice import will create it with the primary key (warehouse, sku)",
		"job stock: 1 file(s) match " + s.path("data/stock-*.csv"),
	})

	// The import refuses the table too, file by file.
	code, stdout, _ = s.run(t, "import", "--config", "{config}", "--job", "socks")
	if code != 1 {
		t.Errorf("import into the bad table: exit %d, want 1", code)
	}
	const reason = ": FAILED after 0 rows: table socks: declared column(s) price missing from the existing table (it has sku, name, quantity); add them or fix config.yaml"
	checkLines(t, "import into the bad table", summary(stdout), []string{
		"socks " + s.path("data/socks-01.csv") + reason,
		"socks " + s.path("data/socks-02.csv") + reason,
	})
}

func TestCheckDatabaseFolderMissing(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	s.env["DATABASE_URL"] = "sqlite:///no/such/folder/x.db"
	code, stdout, _ := s.run(t, "check", "--config", "{config}")
	if code != 1 {
		t.Errorf("check: exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 || lines[0] != "config "+s.config+": 2 job(s)" ||
		!strings.HasPrefix(lines[1], "database: cannot connect: open sqlite:///no/such/folder/x.db: ") ||
		!strings.HasSuffix(lines[1], "(the folder "+s.path("no/such/folder")+" does not exist; create it or fix the URL)") {
		t.Errorf("check with a missing folder:\n%s", stdout)
	}
}

// TestImportNoFiles: a source.path that matches no file fails the run,
// exit 1, saying why, unless source.allow_empty says that is normal.
func TestImportNoFiles(t *testing.T) {
	t.Parallel()
	s := newCLISetup(t, cliConfig, map[string]string{})
	code, stdout, stderr := s.run(t, "import", "--config", "{config}")
	tail := ": no file matches source.path " + s.path("data/socks-*.csv") + " (the folder " + s.path("data") + " does not exist); fix source.path, or set source.allow_empty: true if files are moved away once imported"
	if lines := summary(stdout); code != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], "socks ") || !strings.HasSuffix(lines[0], tail) {
		t.Errorf("import with no files: exit %d, stdout %q; want 1 and, for socks, %q", code, stdout, tail)
	}
	if !strings.Contains(stderr, `level=ERROR msg="import failed" job=socks err="no file matches source.path `) {
		t.Errorf("stderr does not report the empty glob:\n%s", stderr)
	}

	allow := newCLISetup(t, strings.ReplaceAll(cliConfig, `path: "data/`, `allow_empty: true, path: "data/`), map[string]string{})
	code, stdout, stderr = allow.run(t, "import", "--config", "{config}")
	if code != 0 || stdout != "" || !strings.Contains(stderr, `msg="no files match source.path (source.allow_empty)" job=socks`) {
		t.Errorf("import with no files and allow_empty: exit %d, stdout %q; want 0, nothing, and a note\n%s", code, stdout, stderr)
	}
}

func TestSluiceConfigEnv(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	s.env["SLUICE_CONFIG"] = s.config
	code, stdout, stderr := s.run(t, "import", "--job", "stock")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	checkLines(t, "import with SLUICE_CONFIG", summary(stdout), []string{
		"stock " + s.path("data/stock-01.csv") + ": 2 rows, 2 inserted, 0 updated, 0 unchanged, 0 rejected in D",
	})
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	code, stdout, stderr := s.run(t, "version")
	if code != 0 || stderr != "" {
		t.Fatalf("version: exit %d, stderr %q", code, stderr)
	}
	re := regexp.MustCompile(`^sluice \S+( \([0-9a-f]{1,12}\))?\ngo1\.\S+ \w+/\w+, SQLite driver ` + regexp.QuoteMeta(models.SQLiteDriver()) + "\nPostgreSQL driver github.com/jackc/pgx/v5( v\\S+)?, MySQL driver github.com/go-sql-driver/mysql( v\\S+)?\n$")
	if !re.MatchString(stdout) {
		t.Errorf("version output %q does not match %s", stdout, re)
	}
	if !strings.Contains(stdout, "SQLite driver modernc.org/sqlite\n") && !strings.Contains(stdout, "SQLite driver github.com/mattn/go-sqlite3\n") {
		t.Errorf("version output %q names no SQLite driver", stdout)
	}
}

func TestImportFlagsAfterFiles(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	socks1, socks2 := s.path("data/socks-01.csv"), s.path("data/socks-02.csv")
	// Flags may follow the files, as people type them.
	code, stdout, stderr := s.run(t, "import", socks1, "--job", "socks", "--config", "{config}")
	if code != 0 {
		t.Fatalf("import FILE --job socks: exit %d\n%s", code, stderr)
	}
	lines := summary(stdout)
	for i, l := range lines {
		lines[i] = regexp.MustCompile(`; rejects in \S+$`).ReplaceAllString(l, "; rejects in R")
	}
	checkLines(t, "import FILE --job socks", lines, []string{
		"socks " + socks1 + ": 4 rows, 3 inserted, 0 updated, 0 unchanged, 1 rejected in D; rejects in R",
	})
	// After "--" everything is a file, even what looks like a flag.
	code, stdout, stderr = s.run(t, "import", "--config", "{config}", "--job", "socks", "--", socks2, "--force")
	if code != 1 {
		t.Fatalf("import -- FILE --force: exit %d, want 1 (no file --force)\n%s", code, stderr)
	}
	lines = summary(stdout)
	if len(lines) != 2 || lines[0] != "socks "+socks2+": 5 rows, 1 inserted, 1 updated, 2 unchanged, 0 rejected in D; 1 duplicate keys (last wins)" ||
		!strings.HasPrefix(lines[1], "socks --force: FAILED after 0 rows: open ") ||
		!strings.HasSuffix(lines[1], "/--force: no such file or directory") {
		t.Errorf("import -- FILE --force:\n%s", stdout)
	}
}
