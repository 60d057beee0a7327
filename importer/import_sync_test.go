package importer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// syncOpts are the knobs of the items job the sync scenarios change.
type syncOpts struct {
	name    string // the job's name; "" is items
	missing string // sync.missing; "" leaves it out (delete)
	max     string // sync.max_missing; "" leaves it out (10%)
	scope   string // sync.scope as YAML flow, "" for none
	key     string // the key as YAML flow; "" is [sku]
}

// syncJob is a job in mode: sync of in/<name>-*.csv into the items table.
func syncJob(o syncOpts) string {
	if o.name == "" {
		o.name = "items"
	}
	if o.key == "" {
		o.key = "[sku]"
	}
	var sync []string
	if o.missing != "" {
		sync = append(sync, "missing: "+o.missing)
		if o.missing == "mark" {
			sync = append(sync, "column: deleted_at")
		}
	}
	if o.max != "" {
		sync = append(sync, fmt.Sprintf("max_missing: %q", o.max))
	}
	if o.scope != "" {
		sync = append(sync, "scope: "+o.scope)
	}
	block := ""
	if len(sync) > 0 {
		block = "    sync: {" + strings.Join(sync, ", ") + "}\n"
	}
	return fmt.Sprintf(`  - name: %s
    source:
      path: "in/%s-*.csv"
    table: items
    key: %s
    mode: sync
%s    columns:
      - {name: region}
      - {name: sku}
      - {name: name}
      - {name: qty, type: integer}
    rejects: {max: "100%%", dir: rejects}
`, o.name, o.name, o.key, block)
}

// syncStep is one file of a scenario and what must come of it.
type syncStep struct {
	name    string
	job     string // "" is items
	csv     string // the rows after the header "region,sku,name,qty"
	opt     Options
	want    outcome
	deleted int64
	err     []string // parts of the error, for a failed file
	table   []string // items afterwards as "region sku name qty", by region, sku
}

// runSyncSteps imports each step's file in turn and checks the result
// and the table. A failed step must leave the table as it was.
func runSyncSteps(t *testing.T, e *importEnv, steps []syncStep) {
	t.Helper()
	for i, st := range steps {
		job := st.job
		if job == "" {
			job = "items"
		}
		path := e.write(fmt.Sprintf("in/%s-%02d.csv", job, i), "region,sku,name,qty\n"+st.csv)
		res := e.importFile(job, path, st.opt)
		checkResult(t, st.name, res, st.want, st.err...)
		if res.Counts.Deleted != st.deleted {
			t.Errorf("%s: %d deleted, want %d", st.name, res.Counts.Deleted, st.deleted)
		}
		checkRows(t, st.name, e.itemsTable(), splitRows(st.table))
	}
}

// itemsTable is the items table as "region sku name qty" rows.
func (e *importEnv) itemsTable() [][]string {
	e.t.Helper()
	return e.query(`SELECT region, sku, name, qty FROM items ORDER BY region, sku`)
}

func splitRows(rows []string) [][]string {
	var out [][]string
	for _, r := range rows {
		out = append(out, strings.Fields(r))
	}
	return out
}

func okSync(rows, inserted, updated, unchanged, rejected int64) outcome {
	o := ok(rows, inserted, updated, unchanged)
	o.Rejected = rejected
	return o
}

func failedAfter(rows, rejected int64) outcome {
	return outcome{Status: models.StatusFailed, Rows: rows, Rejected: rejected}
}

// TestImportSyncScenarios: a monthly full dump keeps the table equal to
// the file; the guards stop a truncated or empty dump and a file whose
// rejected rows hide their keys; rejected rows are never taken for gone;
// a dry run reports and keeps nothing; a forced re-import deletes
// nothing; on each write path and database.
func TestImportSyncScenarios(t *testing.T) {
	eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
		e := newImportEnvOn(t, b, syncJob(syncOpts{max: "2"}))
		e.im.maxSuspects = maxSuspects
		sep := "EU A Argyle 1\nEU B Bamboo 2\nEU C Cable 3\nEU D Dot 4\nEU E Eyelet 5"
		runSyncSteps(t, e, []syncStep{
			{name: "first dump", csv: "EU,A,Argyle,1\nEU,B,Bamboo,2\nEU,C,Cable,3\nEU,D,Dot,4\nEU,E,Eyelet,5\n",
				want: okSync(5, 5, 0, 0, 0), table: strings.Split(sep, "\n")},
			{name: "C gone, B changed, F new, A twice", csv: "EU,A,Old,1\nEU,B,Bamboo,20\nEU,D,Dot,4\nEU,E,Eyelet,5\nEU,F,Fleece,6\nEU,A,Argyle,1\n",
				want: outcome{Status: models.StatusOK, Rows: 6, Inserted: 1, Updated: 1, Unchanged: 3, Duplicates: 1}, deleted: 1,
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4", "EU E Eyelet 5", "EU F Fleece 6"}},
			{name: "guard by count: 3 gone of 5, max 2", csv: "EU,A,Argyle,1\nEU,B,Bamboo,20\n",
				want: failedAfter(2, 0), err: []string{"3 of the 5 rows of items", "60.0%", "sync.max_missing 2", "nothing was imported"},
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4", "EU E Eyelet 5", "EU F Fleece 6"}},
			{name: "an empty dump", csv: "",
				want: failedAfter(0, 0), err: []string{"no rows to import", "nothing was imported"},
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4", "EU E Eyelet 5", "EU F Fleece 6"}},
			{name: "rejected rows are not gone", csv: "EU,A,Argyle,1\nEU,B,Bamboo,lots\nEU,D,Dot,4\nEU,E,Eyelet,5\nEU,F,Fleece,many\n",
				want:  okSync(5, 0, 0, 3, 2),
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4", "EU E Eyelet 5", "EU F Fleece 6"}},
			{name: "a reject whose key cannot be read", csv: "EU,A,Argyle,1\nEU,,Bamboo,2\nEU,D,Dot,4\nEU,E,Eyelet,5\nEU,F,Fleece,6\n",
				want: failedAfter(2, 1), err: []string{"line 3", "column sku", "cannot read the key", "nothing was imported"},
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4", "EU E Eyelet 5", "EU F Fleece 6"}},
			{name: "a dry run counts and keeps nothing", csv: "EU,A,Argyle,1\nEU,B,Bamboo,20\nEU,D,Dot,4\n", opt: Options{DryRun: true},
				want: okSync(3, 0, 0, 3, 0), deleted: 2,
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4", "EU E Eyelet 5", "EU F Fleece 6"}},
			{name: "E and F gone", csv: "EU,A,Argyle,1\nEU,B,Bamboo,20\nEU,D,Dot,4\n",
				want: okSync(3, 0, 0, 3, 0), deleted: 2,
				table: []string{"EU A Argyle 1", "EU B Bamboo 20", "EU D Dot 4"}},
		})
		// A forced re-import of the file just imported deletes nothing.
		res := e.importFile("items", e.dir+"/in/items-07.csv", Options{Force: true})
		checkResult(t, "forced re-import", res, okSync(3, 0, 0, 3, 0))
		if res.Counts.Deleted != 0 {
			t.Errorf("forced re-import: %d deleted, want 0", res.Counts.Deleted)
		}
		runs := e.runs()
		var deleted []int64
		for _, r := range runs {
			deleted = append(deleted, r.Deleted)
		}
		// The dry run is not in the ledger; failed runs delete nothing.
		if want := []int64{0, 1, 0, 0, 0, 0, 2, 0}; fmt.Sprint(deleted) != fmt.Sprint(want) {
			t.Errorf("ledger's deleted = %v, want %v", deleted, want)
		}
		// No key table, stage or merge table is left in any session.
		for _, tmp := range []string{"sluice_keys_items", "sluice_stage_items", "sluice_direct_items", "sluice_stage_items_folded"} {
			for _, got := range e.sessionTables(tmp) {
				if got != "absent" {
					t.Errorf("%s left behind: %s rows", tmp, got)
				}
			}
		}
	})
}

// TestImportSyncShare: max_missing as a share of the rows the dump
// covers; exactly the share passes, more fails.
func TestImportSyncShare(t *testing.T) {
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, syncJob(syncOpts{max: "20%"}))
		all := []string{"EU A a 1", "EU B b 1", "EU C c 1", "EU D d 1", "EU E e 1", "EU F f 1", "EU G g 1", "EU H h 1", "EU I i 1", "EU J j 1"}
		csv := func(rows []string) string {
			var b strings.Builder
			for _, r := range rows {
				b.WriteString(strings.ReplaceAll(r, " ", ",") + "\n")
			}
			return b.String()
		}
		runSyncSteps(t, e, []syncStep{
			{name: "ten", csv: csv(all), want: okSync(10, 10, 0, 0, 0), table: all},
			{name: "2 of 10 gone: 20% passes", csv: csv(all[:8]), want: okSync(8, 0, 0, 8, 0), deleted: 2, table: all[:8]},
			{name: "2 of 8 gone: 25% fails", csv: csv(all[:6]), want: failedAfter(6, 0), table: all[:8],
				err: []string{"2 of the 8 rows", "25.0%", "sync.max_missing 20%"}},
		})
	})
}

// TestImportSyncMark: mark sets deleted_at to the import's time on rows
// gone, clears it when the row comes back (counted as updated), and
// counts a marked row once; the column is created with the table.
func TestImportSyncMark(t *testing.T) {
	eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
		e := newImportEnvOn(t, b, syncJob(syncOpts{missing: "mark", max: "50%"}))
		e.im.maxSuspects = maxSuspects
		e.undeclared = map[string]models.Type{"deleted_at": models.Timestamp}
		runSyncSteps(t, e, []syncStep{
			{name: "first dump", csv: "EU,A,Argyle,1\nEU,B,Bamboo,2\nEU,C,Cable,3\n", want: okSync(3, 3, 0, 0, 0),
				table: []string{"EU A Argyle 1", "EU B Bamboo 2", "EU C Cable 3"}},
			{name: "C gone: marked", csv: "EU,A,Argyle,1\nEU,B,Bamboo,2\n", want: okSync(2, 0, 0, 2, 0), deleted: 1,
				table: []string{"EU A Argyle 1", "EU B Bamboo 2", "EU C Cable 3"}},
		})
		runs := e.runs()
		marked := "'" + runs[1].StartedAt.UTC().Format("2006-01-02 15:04:05.000000") + "'"
		checkRows(t, "after the mark", e.table("items", "sku", "sku", "deleted_at"),
			[][]string{{"'A'", "NULL"}, {"'B'", "NULL"}, {"'C'", marked}})
		runSyncSteps(t, e, []syncStep{
			{name: "still gone: not marked again", csv: "EU,A,Argyle,1\nEU,B,Bamboo,3\n", want: okSync(2, 0, 1, 1, 0),
				table: []string{"EU A Argyle 1", "EU B Bamboo 3", "EU C Cable 3"}},
		})
		checkRows(t, "still gone", e.table("items", "sku", "sku", "deleted_at"),
			[][]string{{"'A'", "NULL"}, {"'B'", "NULL"}, {"'C'", marked}})
		runSyncSteps(t, e, []syncStep{
			{name: "C is back: cleared, updated", csv: "EU,A,Argyle,1\nEU,B,Bamboo,3\nEU,C,Cable,3\n", want: okSync(3, 0, 1, 2, 0),
				table: []string{"EU A Argyle 1", "EU B Bamboo 3", "EU C Cable 3"}},
		})
		checkRows(t, "after the return", e.table("items", "sku", "sku", "deleted_at"),
			[][]string{{"'A'", "NULL"}, {"'B'", "NULL"}, {"'C'", "NULL"}})
	})
}

// TestImportSyncMarkColumnMissing: an existing table without the mark
// column fails the file before anything is read, saying what to add.
func TestImportSyncMarkColumnMissing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, syncJob(syncOpts{missing: "mark"}))
		e.exec(`CREATE TABLE items (region TEXT, sku VARCHAR(20) PRIMARY KEY, name TEXT, qty BIGINT)`)
		res := e.importFile("items", e.write("in/items-01.csv", "region,sku,name,qty\nEU,A,Argyle,1\n"), Options{})
		checkResult(t, "no deleted_at", res, failedAfter(0, 0), "sync.column deleted_at", "missing from the existing table", "ALTER TABLE items ADD COLUMN deleted_at")
		st, err := e.db.TableStatus(e.ctx, e.job("items").Dataset(e.db.Dialect))
		if err != nil || st.Problem == nil || !strings.Contains(st.Problem.Error(), "sync.column deleted_at") {
			t.Errorf("TableStatus: problem %v (%v), want the missing sync.column", st.Problem, err)
		}
	})
}

// TestImportSyncScope: two dumps share a table, one per region; each
// deletes only its own rows, and a row of the other region in a file is a
// reject whose key is kept.
func TestImportSyncScope(t *testing.T) {
	eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
		e := newImportEnvOn(t, b, syncJob(syncOpts{name: "eu", scope: "{region: EU}", max: "100%"}),
			syncJob(syncOpts{name: "us", scope: "{region: US}", max: "100%"}))
		e.im.maxSuspects = maxSuspects
		runSyncSteps(t, e, []syncStep{
			{name: "US dump", job: "us", csv: "US,X,Xmas,1\nUS,Y,Yak,2\n", want: okSync(2, 2, 0, 0, 0),
				table: []string{"US X Xmas 1", "US Y Yak 2"}},
			{name: "EU dump", job: "eu", csv: "EU,A,Argyle,1\nEU,B,Bamboo,2\n", want: okSync(2, 2, 0, 0, 0),
				table: []string{"EU A Argyle 1", "EU B Bamboo 2", "US X Xmas 1", "US Y Yak 2"}},
			{name: "EU without B, with a US row", job: "eu", csv: "EU,A,Argyle,1\nUS,Y,Yak,9\n", want: okSync(2, 0, 0, 1, 1), deleted: 1,
				table: []string{"EU A Argyle 1", "US X Xmas 1", "US Y Yak 2"}},
		})
		rej := readRejects(t, e.runs()[2].RejectFile)
		if len(rej) != 2 || !strings.Contains(strings.Join(rej[1], ","), "outside this dump's sync.scope (region: EU)") {
			t.Errorf("reject file = %q, want the US row outside the scope", rej)
		}
	})
}

// TestImportSyncCompositeKey: a composite key's rows are gone when the
// pair is, not when either part is.
func TestImportSyncCompositeKey(t *testing.T) {
	eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
		e := newImportEnvOn(t, b, syncJob(syncOpts{key: "[region, sku]", max: "100%"}))
		e.im.maxSuspects = maxSuspects
		runSyncSteps(t, e, []syncStep{
			{name: "first", csv: "EU,A,a,1\nEU,B,b,1\nUS,A,a,1\n", want: okSync(3, 3, 0, 0, 0),
				table: []string{"EU A a 1", "EU B b 1", "US A a 1"}},
			{name: "EU B gone", csv: "EU,A,a,1\nUS,A,a,1\nUS,B,b,2\n", want: okSync(3, 1, 0, 2, 0), deleted: 1,
				table: []string{"EU A a 1", "US A a 1", "US B b 2"}},
		})
	})
}

// TestImportSyncFoldedKeys: where the table's key comparison folds case,
// a key the file spells in another case is the table's row: updated by
// the merge, so not gone. On SQLite the comparison is the unique index's,
// which may fold where its column does not.
func TestImportSyncFoldedKeys(t *testing.T) {
	tests := []struct {
		name  string
		b     dbtest.Backend
		table []string
	}{
		{"mysql general_ci", dbtest.Backend{Name: "mysql", New: dbtest.MySQL},
			[]string{`CREATE TABLE items (region TEXT, sku VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, name TEXT, qty BIGINT)`}},
		{"sqlite NOCASE column", dbtest.Backend{Name: "sqlite"},
			[]string{`CREATE TABLE items (region TEXT, sku TEXT COLLATE NOCASE PRIMARY KEY, name TEXT, qty BIGINT)`}},
		{"sqlite NOCASE index on a BINARY column", dbtest.Backend{Name: "sqlite"},
			[]string{`CREATE TABLE items (id INTEGER PRIMARY KEY, region TEXT, sku TEXT NOT NULL, name TEXT, qty BIGINT)`,
				`CREATE UNIQUE INDEX items_sku ON items (sku COLLATE NOCASE)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newImportEnvOn(t, tt.b, syncJob(syncOpts{max: "100%"}))
			for _, q := range tt.table {
				e.exec(q)
			}
			runSyncSteps(t, e, []syncStep{
				{name: "first", csv: "EU,A,a,1\nEU,B,b,1\nEU,C,c,1\n", want: okSync(3, 3, 0, 0, 0),
					table: []string{"EU A a 1", "EU B b 1", "EU C c 1"}},
				{name: "a for A, c gone", csv: "EU,a,a,2\nEU,B,b,1\n", want: okSync(2, 0, 1, 1, 0), deleted: 1,
					table: []string{"EU A a 2", "EU B b 1"}},
			})
		})
	}
}

// TestSyncNotification: a notification carries the rows a sync deleted.
func TestSyncNotification(t *testing.T) {
	m, send := message(Result{Job: "items", Path: "items-02.csv", Status: models.StatusOK, Rows: 3,
		Counts: models.Counts{Unchanged: 3, Deleted: 2}, Missing: models.MissingDelete})
	if !send || m.Deleted != 2 || m.Unchanged != 3 {
		t.Errorf("message = %+v (send %t), want 2 deleted, 3 unchanged", m, send)
	}
}
