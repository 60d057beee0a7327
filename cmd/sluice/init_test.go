package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// initSamples are the files sluice init is tried on: importer/infer's
// testdata (every encoding and delimiter, ragged rows, a pair key,
// Debian's list of its releases) and the shipped sample data.
var initSamples = []struct {
	path string
	rows int
}{
	{"../../importer/infer/testdata/zips.csv", 5},
	{"../../importer/infer/testdata/latin1.csv", 3},
	{"../../importer/infer/testdata/utf16.csv", 3},
	{"../../importer/infer/testdata/bom.csv", 2},
	{"../../importer/infer/testdata/ragged.csv", 4},
	{"../../importer/infer/testdata/emails.csv", 2},
	{"../../importer/infer/testdata/debian.csv", 22},
	{"../../importer/infer/testdata/odd_headers.csv", 2},
	{"../../sample-data/socks-2026-11.csv", 347},
	{"../../sample-data/stock-2026-11.csv", 162},
}

// TestInitRoundTrip: the config sluice init prints passes sluice check
// and imports the very file with no rejects, on every database.
func TestInitRoundTrip(t *testing.T) {
	bin := buildSluice(t)
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, s := range initSamples {
				t.Run(filepath.Base(s.path), func(t *testing.T) {
					work := t.TempDir()
					name := filepath.Base(s.path)
					copyFile(t, s.path, filepath.Join(work, "data", name))
					sl := newSluiceCmd(bin, work, b.New(t))
					code, config, stderr := sl.run(t, "init", "data/"+name)
					// odd_headers.csv has a column named true: a header that looks like data.
					if code != 0 || (stderr != "" && !strings.HasPrefix(stderr, `sluice: warning: the header "true" looks like data`)) {
						t.Fatalf("init: exit %d\n%s", code, stderr)
					}
					if err := os.WriteFile(filepath.Join(work, "config.yaml"), []byte(config), 0o644); err != nil {
						t.Fatal(err)
					}
					if code, out, stderr := sl.run(t, "check"); code != 0 {
						t.Fatalf("check: exit %d\n%s%s\nconfig:\n%s", code, out, stderr, config)
					}
					code, out, stderr := sl.run(t, "import")
					want := fmt.Sprintf(": %d rows, %d inserted, 0 updated, 0 unchanged, 0 rejected", s.rows, s.rows)
					if code != 0 || !strings.Contains(out, want) {
						t.Fatalf("import: exit %d, want %q\n%s%s\nconfig:\n%s", code, want, out, stderr, config)
					}
				})
			}
		})
	}
}

// TestInitCommand: what init prints for a dump with leading zeros, a
// key and day/month dates; no key said and left to the person; --key,
// --job, --table; --write appending to the shipped config and refusing a
// job name taken.
func TestInitCommand(t *testing.T) {
	bin := buildSluice(t)
	work := t.TempDir()
	copySample(t, work)
	copyFile(t, "../../importer/infer/testdata/zips.csv", filepath.Join(work, "dumps", "zips-2026-11.csv"))
	copyFile(t, "../../importer/infer/testdata/nokey.csv", filepath.Join(work, "dumps", "nokey.csv"))
	sl := newSluiceCmd(bin, work, "")

	code, out, stderr := sl.run(t, "init", "dumps/zips-2026-11.csv")
	for _, want := range []string{
		"url: ${DATABASE_URL:-sqlite:///zips.db}",
		"  - name: zips\n",
		"      path: dumps/zips-2026-11.csv\n",
		"    key: [zip_code]                      # 5 distinct of 5 rows: the key\n",
		`- {name: zip_code, csv: Zip Code, type: text, required: true}  # leading zeros ("00501"): text keeps them`,
		`- {name: founded, csv: Founded, type: date, format: "02/01/2006", required: true}  # every value reads as 02/01/2006 (a day above 12 comes first: day/month)`,
		`- {name: latitude, csv: Latitude, type: decimal, precision: 8, scale: 4, required: true}`,
		"columns_policy: {extra: ignore, missing: fail}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 || stderr != "" {
		t.Errorf("init: exit %d, stderr %q", code, stderr)
	}

	code, out, stderr = sl.run(t, "init", "--job", "zip-codes", "--table", "zip_codes", "--key", "city", "dumps/zips-2026-11.csv")
	if code != 0 || !strings.Contains(out, "  - name: zip-codes\n") || !strings.Contains(out, "    table: zip_codes\n") ||
		!strings.Contains(out, "key: [city]                          # given with --key: unique and never empty over the rows read") {
		t.Errorf("init --job --table --key: exit %d\n%s%s", code, out, stderr)
	}

	code, out, stderr = sl.run(t, "init", "dumps/nokey.csv")
	if code != 0 || !strings.Contains(stderr, "sluice: warning: no key: no column, nor pair of columns, is unique") ||
		!strings.Contains(out, "    # key: [...]   # NO KEY FOUND:") {
		t.Errorf("init of a file without a key: exit %d\n%s%s", code, out, stderr)
	}

	code, _, stderr = sl.run(t, "init", "--write", "dumps/zips-2026-11.csv")
	if code != 0 || stderr != "sluice: added job zips to config.yaml\n" {
		t.Fatalf("init --write: exit %d\n%s", code, stderr)
	}
	if code, out, stderr := sl.run(t, "check"); code != 0 || !strings.Contains(out, "job zips: 1 file(s) match dumps/zips-2026-11.csv") {
		t.Errorf("check after --write: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, stderr := sl.run(t, "import", "--job", "zips"); code != 0 || !strings.Contains(out, "5 rows, 5 inserted, 0 updated, 0 unchanged, 0 rejected") {
		t.Errorf("import after --write: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = sl.run(t, "init", "--write", "dumps/zips-2026-11.csv")
	if code != exitUsage || !strings.Contains(stderr, "config.yaml already has a job zips") {
		t.Errorf("init --write twice: exit %d\n%s", code, stderr)
	}
	// A config whose last top-level key is not jobs: is not appended to.
	other := filepath.Join(work, "other.yaml")
	if err := os.WriteFile(other, []byte("jobs: []\ndatabase:\n  url: sqlite:///x.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := sl.run(t, "init", "--write", "--config", other, "dumps/zips-2026-11.csv"); code != exitFailed ||
		!strings.Contains(stderr, "jobs: is not its last top-level key, so the job cannot be appended safely") {
		t.Errorf("init --write into a config ending in database: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := sl.run(t, "init", "a.csv", "b.csv"); code != exitUsage || !strings.Contains(stderr, "sluice init takes one FILE") {
		t.Errorf("init with two files: exit %d\n%s", code, stderr)
	}
}

// TestInitWriteNew: --write without a config writes a whole one.
func TestInitWriteNew(t *testing.T) {
	bin := buildSluice(t)
	work := t.TempDir()
	copyFile(t, "../../importer/infer/testdata/ragged.csv", filepath.Join(work, "ragged.csv"))
	sl := newSluiceCmd(bin, work, "")
	if code, _, stderr := sl.run(t, "init", "--write", "ragged.csv"); code != 0 || stderr != "sluice: wrote config.yaml with job ragged\n" {
		t.Fatalf("init --write: exit %d\n%s", code, stderr)
	}
	if code, out, stderr := sl.run(t, "import"); code != 0 || !strings.Contains(out, "4 rows, 4 inserted") {
		t.Errorf("import: exit %d\n%s%s", code, out, stderr)
	}
}

// TestDriftSummary: sluice check, the import's summary and its
// notification say what the columns_policy does, the summary and the
// notification with the line to add to config.yaml.
func TestDriftSummary(t *testing.T) {
	bin := buildSluice(t)
	work := t.TempDir()
	hook := newWebhook(t, "/hook")
	config := `database:
  url: sqlite:///drift.db
notify:
  - {url: "` + hook.srv.URL + `/hook", on: [ok]}
jobs:
  - name: items
    source: {path: "in/items-*.csv"}
    table: items
    key: [sku]
    columns:
      - {name: sku}
      - {name: colour}
    columns_policy: {extra: add, missing: null}
`
	if err := os.WriteFile(filepath.Join(work, "config.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(work, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "in", "items-1.csv"), []byte("sku,Price\nA,1.50\nB,2.25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sl := newSluiceCmd(bin, work, "")
	// sluice check follows the policy: the missing colour is no failure.
	code, out, stderr := sl.run(t, "check")
	if code != 0 || !strings.Contains(out, `job items: CSV column "Price" in 1 of 1 file(s) is read by no column, and added to the table by the import (columns_policy.extra: add)`) {
		t.Errorf("check: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = sl.run(t, "import")
	for _, want := range []string{
		"items in/items-1.csv: 2 rows, 2 inserted, 0 updated, 0 unchanged, 0 rejected",
		"  drift: declared column(s) missing from the file, read as NULL: colour\n",
		"  drift: new CSV column \"Price\" added to the table as price decimal; add to config.yaml under columns:\n      - {name: price, csv: Price, type: decimal, precision: 5, scale: 2}\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if code != 0 || !strings.Contains(stderr, "new CSV column added to the table inside the file's transaction") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	// The notification carries the drift.
	got := hook.messages()
	if len(got) != 1 {
		t.Fatalf("%d notifications, want 1: %v", len(got), got)
	}
	drift, _ := json.Marshal(got[0]["drift"])
	want := `{"added":[{"column":"price","config":"- {name: price, csv: Price, type: decimal, precision: 5, scale: 2}","csv":"Price","type":"decimal"}],"missing":["colour"]}`
	if string(drift) != want {
		t.Errorf("notification's drift\n %s\nwant %s", drift, want)
	}
}

func TestJobName(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{"dumps/socks-2026-09.csv.gz", "socks"},
		{"Stock Levels 2026_11.tsv", "stock_levels"},
		{"utf8.csv", "utf8"},
		{"2026-11.csv", "c_2026_11"},
		{"/x/Export (final).CSV", "export_final"},
	} {
		if got := jobName(tt.path); got != tt.want {
			t.Errorf("jobName(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
