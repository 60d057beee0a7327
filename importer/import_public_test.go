package importer

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// publicCSV is a CSV file nobody here wrote, with the records it holds.
type publicCSV struct {
	job    string   // job and table name
	path   string   // the CSV
	key    []string // its unique columns
	ragged bool
	header []string
	rows   [][]string // in file order; "" is NULL once imported
}

// TestImportPublicCSV imports CSV files written elsewhere (csv-spectrum's
// parser test cases, Debian's distro-info-data, the module list of Go's
// own zip_sums.csv) into each database and compares every cell that
// landed with what the file holds: csv-spectrum's own JSON, and for the
// others encoding/csv's reading of files it reads right (no quotes).
func TestImportPublicCSV(t *testing.T) {
	t.Parallel()
	cases := spectrumCases(t)
	for _, name := range []string{"debian", "ubuntu"} {
		cases = append(cases, csvCase(t, "distro_"+name, filepath.Join("testdata", "distro-info", name+".csv"), []string{"series"}))
	}
	zipSums := filepath.Join(runtime.GOROOT(), "src", "cmd", "go", "internal", "modfetch", "zip_sum_test", "testdata", "zip_sums.csv")
	if _, err := os.Stat(zipSums); err == nil {
		c := csvCase(t, "go_zip_sums", zipSums, []string{"module", "version"})
		// The file has no header: the test gives it one.
		c.header, c.rows = []string{"module", "version", "sum", "ziphash"}, append([][]string{c.header}, c.rows...)
		cases = append(cases, c)
	} else if os.Getenv("CI") == "true" {
		t.Errorf("Go's zip_sums.csv: %v", err)
	}
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		var jobs []string
		for _, c := range cases {
			jobs = append(jobs, c.jobYAML())
		}
		e := newImportEnvOn(t, b, jobs...)
		for _, c := range cases {
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if c.job == "go_zip_sums" {
				data = append([]byte(strings.Join(c.header, ",")+"\n"), data...)
			}
			res := e.importFile(c.job, e.write("in/"+c.job+".csv", string(data)), Options{})
			n := int64(len(c.rows))
			checkResult(t, c.job, res, ok(n, n, 0, 0))
			c.check(t, e)
		}
	})
}

var notIdent = regexp.MustCompile(`[^a-z0-9]+`)

// columnOf is the table column a header is read into.
func columnOf(header string) string {
	return strings.Trim(notIdent.ReplaceAllString(strings.ToLower(header), "_"), "_")
}

func (c publicCSV) jobYAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    source: {path: %q, ragged: %t}\n    table: %s\n    key: [%s]\n    columns:\n",
		c.job, "in/"+c.job+".csv", c.ragged, c.job, strings.Join(c.key, ", "))
	for _, h := range c.header {
		fmt.Fprintf(&b, "      - {name: %s, csv: %q}\n", columnOf(h), h)
	}
	return b.String()
}

// check compares the table with the rows, by key: the order of ORDER BY
// on text differs between databases' collations.
func (c publicCSV) check(t *testing.T, e *importEnv) {
	t.Helper()
	cols := make([]string, len(c.header))
	for i, h := range c.header {
		cols[i] = fmt.Sprintf("%q", columnOf(h))
	}
	if e.db.Dialect.Name() == "mysql" {
		for i := range cols {
			cols[i] = "`" + strings.Trim(cols[i], `"`) + "`"
		}
	}
	keyOf := func(row []string) string {
		var k []string
		for _, name := range c.key {
			for i, h := range c.header {
				if columnOf(h) == name {
					k = append(k, row[i])
				}
			}
		}
		return strings.Join(k, "\x00")
	}
	got := map[string][]string{}
	for _, r := range e.query(fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, ", "), c.job)) {
		got[keyOf(r)] = r
	}
	if len(got) != len(c.rows) {
		t.Errorf("%s: %d rows landed, the file has %d", c.job, len(got), len(c.rows))
	}
	for _, want := range c.rows {
		row := make([]string, len(c.header))
		for i := range row {
			row[i] = "NULL"
			if i < len(want) && want[i] != "" {
				row[i] = want[i]
			}
		}
		g, found := got[keyOf(row)]
		if !found {
			t.Errorf("%s: row %q did not land", c.job, row)
			continue
		}
		for i := range row {
			if g[i] != row[i] {
				t.Errorf("%s: key %q, column %s: landed %q, the file says %q", c.job, keyOf(row), c.header[i], g[i], row[i])
			}
		}
	}
}

// spectrumCases are csv-spectrum's files with their JSON.
func spectrumCases(t *testing.T) []publicCSV {
	dir := filepath.Join("testdata", "csv-spectrum")
	files, err := filepath.Glob(filepath.Join(dir, "csvs", "*.csv"))
	if err != nil || len(files) != 12 {
		t.Fatalf("csv-spectrum: %d files, %v", len(files), err)
	}
	var cases []publicCSV
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		data, err := os.ReadFile(filepath.Join(dir, "json", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var recs []map[string]string
		if err := json.Unmarshal(data, &recs); err != nil {
			// location_coordinates.json is one object, not a list.
			var rec map[string]string
			if err := json.Unmarshal(data, &rec); err != nil {
				t.Fatalf("%s.json: %v", name, err)
			}
			recs = []map[string]string{rec}
		}
		if name == "location_coordinates" {
			recs[0]["Contact Phone Number"] = "2095257564" // the JSON's differs from its CSV; see README.md there
		}
		header := strings.Split(strings.SplitN(strings.SplitN(readFile(t, f), "\n", 2)[0], "\r", 2)[0], ",")
		c := publicCSV{job: "spectrum_" + name, path: f, key: []string{columnOf(header[0])}, header: header}
		for _, r := range recs {
			row := make([]string, len(header))
			for i, h := range header {
				row[i] = r[h]
			}
			c.rows = append(c.rows, row)
		}
		cases = append(cases, c)
	}
	return cases
}

// csvCase reads path with encoding/csv: the header and the rows.
func csvCase(t *testing.T, job, path string, key []string) publicCSV {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return publicCSV{job: job, path: path, key: key, ragged: true, header: recs[0], rows: recs[1:]}
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
