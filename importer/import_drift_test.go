package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// driftJob is a job reading in/items-* with the given columns_policy.
func driftJob(policy string) string {
	return fmt.Sprintf(`  - name: items
    source:
      path: "in/items-*"
    table: items
    key: [sku]
    columns:
      - {name: sku}
      - {name: name, required: true}
      - {name: colour}
    columns_policy: %s
    rejects: {max: 0, dir: rejects}
`, policy)
}

// TestDriftAdd: under extra: add, a new CSV column becomes a column of
// the table (its type inferred from the whole file), filled by this and
// later files, and the line for config.yaml is given; a file that fails
// takes its ALTER TABLE with it where DDL is transactional.
func TestDriftAdd(t *testing.T) {
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnvOn(t, b, driftJob("{extra: add}"))
			first := e.write("in/items-1.csv", "sku,name,colour\nA,Apple,red\nB,Banana,yellow\n")
			checkResult(t, "first file", e.importFile("items", first, Options{}), ok(2, 2, 0, 0))

			// A failing file (a required cell empty, rejects.max 0) with a new column.
			bad := e.write("in/items-2.csv", "sku,name,colour,Weight (g)\nA,Apple,red,150\nC,,green,90\n")
			checkResult(t, "failed file", e.importFile("items", bad, Options{}),
				outcome{Status: models.StatusFailed, Rows: 2, Rejected: 1}, "more than rejects.max 0 rows rejected")
			txDDL := b.Name != "mysql"
			if got := e.hasColumn("items", "weight_g"); got == txDDL {
				t.Errorf("after the failed file the table has weight_g: %v; want %v (ALTER TABLE undone with the file where DDL is transactional)", got, !txDDL)
			}

			second := e.write("in/items-3.csv", "sku,name,colour,Weight (g),Note\nA,Apple,red,150,\nC,Cherry,dark red,9,fresh\n")
			res := e.importFile("items", second, Options{})
			checkResult(t, "file with new columns", res, ok(2, 1, 1, 0))
			want := []AddedColumn{
				{Column: "weight_g", Header: "Weight (g)", Type: models.Integer, Config: "- {name: weight_g, csv: Weight (g), type: integer}", InTx: txDDL},
				{Column: "note", Header: "Note", Type: models.Text, Config: "- {name: note, csv: Note, type: text}", InTx: txDDL},
			}
			if fmt.Sprint(res.Drift.Added) != fmt.Sprint(want) || len(res.Drift.Extra) > 0 {
				t.Errorf("drift %+v\nwant added %+v", res.Drift, want)
			}
			checkRows(t, "items", e.query(`SELECT sku, name, colour, weight_g, note FROM items ORDER BY sku`), [][]string{
				{"A", "Apple", "red", "150", "NULL"},
				{"B", "Banana", "yellow", "NULL", "NULL"},
				{"C", "Cherry", "dark red", "9", "fresh"},
			})

			// The next month has the column too: the table has it already.
			third := e.write("in/items-4.csv", "sku,name,colour,Weight (g)\nB,Banana,yellow,120\n")
			res = e.importFile("items", third, Options{})
			checkResult(t, "next file", res, ok(1, 0, 1, 0))
			if len(res.Drift.Added) != 1 || res.Drift.Added[0].Column != "weight_g" {
				t.Errorf("drift %+v, want weight_g added to the job", res.Drift)
			}
			checkRows(t, "banana", e.query(`SELECT weight_g FROM items WHERE sku = 'B'`), [][]string{{"120"}})
		})
	}
}

// TestDriftPolicies: extra: ignore (the default) and fail; missing: fail
// (the default) and null, which never reads the key or a required column
// as NULL.
func TestDriftPolicies(t *testing.T) {
	tests := []struct {
		name, policy, file string
		want               outcome
		err                string
		extra, missing     []string
	}{
		{"extra ignored by default", "{}", "sku,name,colour,size\nA,Apple,red,L\n", ok(1, 1, 0, 0), "", []string{"size"}, nil},
		{"extra ignored", "{extra: ignore}", "sku,name,colour,size\nA,Apple,red,L\n", ok(1, 1, 0, 0), "", []string{"size"}, nil},
		{"extra fails", "{extra: fail}", "sku,name,colour,size\nA,Apple,red,L\n", outcome{Status: models.StatusFailed},
			`header has column(s) "size" that no declared column reads, and columns_policy.extra is fail`, nil, nil},
		{"missing fails by default", "{}", "sku,name\nA,Apple\n", outcome{Status: models.StatusFailed}, `header lacks declared column(s) "colour"`, nil, nil},
		{"missing read as NULL", "{missing: null}", "sku,name\nA,Apple\n", ok(1, 1, 0, 0), "", nil, []string{"colour"}},
		{"missing required column", "{missing: null}", "sku,colour\nA,red\n", outcome{Status: models.StatusFailed},
			`columns_policy.missing: null cannot read "name" as NULL: it is in the key or required`, nil, nil},
		{"missing key", "{missing: null}", "name,colour\nApple,red\n", outcome{Status: models.StatusFailed}, `cannot read "sku" as NULL`, nil, nil},
	}
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e := newImportEnvOn(t, b, driftJob(tt.policy))
					res := e.importFile("items", e.write("in/items-1.csv", tt.file), Options{})
					if tt.err == "" {
						checkResult(t, tt.name, res, tt.want)
					} else {
						checkResult(t, tt.name, res, tt.want, tt.err)
					}
					if fmt.Sprint(res.Drift.Extra) != fmt.Sprint(tt.extra) || fmt.Sprint(res.Drift.Missing) != fmt.Sprint(tt.missing) {
						t.Errorf("drift %+v, want extra %v missing %v", res.Drift, tt.extra, tt.missing)
					}
					if tt.name == "missing read as NULL" {
						checkRows(t, "items", e.query(`SELECT sku, name, colour FROM items`), [][]string{{"A", "Apple", "NULL"}})
					}
				})
			}
		})
	}
}

func TestColumnsPolicyConfig(t *testing.T) {
	for _, tt := range []struct{ policy, err string }{
		{"{extra: drop}", `columns_policy.extra: "drop" is not ignore, fail or add`},
		{"{missing: skip}", `columns_policy.missing: "skip" is not fail or null`},
	} {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte("database:\n  url: sqlite:///x.db\njobs:\n"+driftJob(tt.policy)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path, noEnv)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: %v, want %q", tt.policy, err, tt.err)
		}
	}
}

// hasColumn reports whether the table has the column.
func (e *importEnv) hasColumn(table, column string) bool {
	e.t.Helper()
	info, err := e.db.Dialect.Inspect(e.ctx, e.db.Bun, table)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range info.Columns {
		if strings.EqualFold(c, column) {
			return true
		}
	}
	return false
}

// TestDriftAddDryRun: a dry run adds the new column and takes it back
// where DDL is transactional; on MySQL, where ALTER TABLE would commit,
// it refuses, saying why.
func TestDriftAddDryRun(t *testing.T) {
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnvOn(t, b, driftJob("{extra: add}"))
			checkResult(t, "first file", e.importFile("items", e.write("in/items-1.csv", "sku,name,colour\nA,Apple,red\n"), Options{}), ok(1, 1, 0, 0))
			next := e.write("in/items-2.csv", "sku,name,colour,size\nA,Apple,red,L\n")
			res := e.importFile("items", next, Options{DryRun: true})
			if b.Name == "mysql" {
				checkResult(t, "dry run", res, outcome{Status: models.StatusFailed}, "table items lacks column(s) size: a dry run cannot add them on mysql, where ALTER TABLE commits at once")
			} else {
				checkResult(t, "dry run", res, ok(1, 0, 1, 0))
			}
			if e.hasColumn("items", "size") {
				t.Error("the dry run left the column size in the table")
			}
		})
	}
}
