package main

import (
	"strings"
	"testing"
)

// syncConfig is one job in mode: sync; missing is delete or mark.
func syncConfig(missing string) string {
	column := ""
	if missing == "mark" {
		column = ", column: gone_at"
	}
	return `database:
  url: sqlite:///test.db
jobs:
  - name: items
    source: {path: "data/items-*.csv"}
    table: items
    key: [sku]
    mode: sync
    sync: {missing: ` + missing + column + `, max_missing: "50%"}
    columns:
      - {name: sku}
      - {name: qty, type: integer}
`
}

// TestImportSyncCommand: the summary line says how many rows a sync
// deleted (or marked), a dry run says what it would delete, the guard's
// failure names the setting, and sluice history shows the count.
func TestImportSyncCommand(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ missing, gone string }{{"delete", "deleted"}, {"mark", "marked gone"}} {
		t.Run(tt.missing, func(t *testing.T) {
			t.Parallel()
			s := newCLISetup(t, syncConfig(tt.missing), map[string]string{
				"data/items-01.csv":  "sku,qty\nA,1\nB,2\nC,3\nD,4\n",
				"data/items-02.csv":  "sku,qty\nA,1\nB,2\nC,3\n",
				"later/items-03.csv": "sku,qty\nA,1\nB,2\n",
				"later/items-04.csv": "sku,qty\nA,1\n",
			})
			file := func(n string) string { return s.path(n) }
			code, stdout, stderr := s.run(t, "import", "--config", "{config}")
			if code != 0 {
				t.Fatalf("import: exit %d\n%s", code, stderr)
			}
			checkLines(t, "import", summary(stdout), []string{
				"items " + file("data/items-01.csv") + ": 4 rows, 4 inserted, 0 updated, 0 unchanged, 0 " + tt.gone + ", 0 rejected in D",
				"items " + file("data/items-02.csv") + ": 3 rows, 0 inserted, 0 updated, 3 unchanged, 1 " + tt.gone + ", 0 rejected in D",
			})
			code, stdout, _ = s.run(t, "import", "--config", "{config}", "--dry-run", "--job", "items", file("later/items-03.csv"))
			checkLines(t, "dry run", summary(stdout), []string{
				"dry run: items " + file("later/items-03.csv") + ": 2 rows, 0 inserted, 0 updated, 2 unchanged, 1 " + tt.gone + ", 0 rejected in D",
			})
			if code != 0 {
				t.Errorf("dry run: exit %d", code)
			}
			code, stdout, _ = s.run(t, "import", "--config", "{config}", "--job", "items", file("later/items-04.csv"))
			if code != 1 || !strings.Contains(stdout, "FAILED after 1 rows: "+file("later/items-04.csv")+": 2 of the 3 rows of items the dump covers (66.7%) are not in the file") ||
				!strings.Contains(stdout, "more than sync.max_missing 50% allows; nothing was imported") {
				t.Errorf("guard: exit %d\n%s", code, stdout)
			}
			code, stdout, _ = s.run(t, "history", "--config", "{config}")
			if code != 0 {
				t.Fatalf("history: exit %d", code)
			}
			checkHistory(t, stdout, []string{
				"3 items " + file("later/items-04.csv") + " failed 1 0 0 0 0 0 " + file("later/items-04.csv") + ": 2 of the 3 rows of items the dump covers (66.7%) are not in the file and would be " + strings.Fields(tt.gone)[0] + ", more than sync.max_missing 50% allows; nothing was imported (if the dump really is that much smaller, raise sync.max_missing)",
				"2 items " + file("data/items-02.csv") + " ok 3 0 0 3 0 1",
				"1 items " + file("data/items-01.csv") + " ok 4 4 0 0 0 0",
			})
		})
	}
}
