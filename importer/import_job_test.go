package importer

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestImportCompositeKey: the key is (warehouse, sku); the same sku in two
// warehouses is two rows, and changing one leaves the other alone.
func TestImportCompositeKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportCompositeKey)
}

func testImportCompositeKey(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, stockJob)
	sep := e.write("in/stock-2026-09.csv", "warehouse,sku,on_hand,counted_at\n"+
		"AMS,SK-001,10,2026-09-30T18:00:00Z\n"+
		"BER,SK-001,20,2026-09-30T20:00:00+02:00\n"+
		"AMS,SK-002,5,\n")
	oct := e.write("in/stock-2026-10.csv", "warehouse,sku,on_hand,counted_at\n"+
		"AMS,SK-001,11,2026-10-31T18:00:00Z\n"+
		"AMS,SK-002,4,\n"+
		"BER,SK-001,20,2026-09-30T18:00:00Z\n"+ // the same instant, spelt in UTC
		"BER,SK-002,7,2026-10-31T18:00:00Z\n"+
		"AMS,SK-002,5,\n") // the last AMS/SK-002 equals the table
	cols := []string{"warehouse", "sku", "on_hand", "counted_at"}

	checkResult(t, "september", e.importFile("stock", sep, Options{}), ok(3, 3, 0, 0))
	checkRows(t, "after september", e.table("stock_levels", "warehouse, sku", cols...), [][]string{
		{"'AMS'", "'SK-001'", "10", "'2026-09-30 18:00:00.000000'"},
		{"'AMS'", "'SK-002'", "5", "NULL"},
		{"'BER'", "'SK-001'", "20", "'2026-09-30 18:00:00.000000'"},
	})

	want := ok(5, 1, 1, 2)
	want.Duplicates = 1
	checkResult(t, "october", e.importFile("stock", oct, Options{}), want)
	checkRows(t, "after october", e.table("stock_levels", "warehouse, sku", cols...), [][]string{
		{"'AMS'", "'SK-001'", "11", "'2026-10-31 18:00:00.000000'"},
		{"'AMS'", "'SK-002'", "5", "NULL"},
		{"'BER'", "'SK-001'", "20", "'2026-09-30 18:00:00.000000'"},
		{"'BER'", "'SK-002'", "7", "'2026-10-31 18:00:00.000000'"},
	})
	// sluice made the unique index on the whole key, in key order.
	info, err := e.db.Dialect.Inspect(e.ctx, e.db.Bun, "stock_levels")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"warehouse", "sku"}}; !reflect.DeepEqual(info.Unique, want) {
		t.Errorf("unique indexes of stock_levels = %q, want %q", info.Unique, want)
	}
}

// TestImportDryRun: a dry run reports the counts a real run would, then
// leaves the table and the ledger as they were.
func TestImportDryRun(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportDryRun)
}

func testImportDryRun(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{Max: "5"}))
	sep := e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	oct := e.fixture("socks-2026-10.csv", "in/socks-2026-10.csv")
	bad := e.fixture("socks-rejects.csv", "in/socks-rejects.csv")
	dry := Options{DryRun: true}

	res := e.importFile("socks", sep, dry)
	checkResult(t, "dry september", res, ok(4, 4, 0, 0))
	if !res.DryRun {
		t.Error("Result.DryRun is false")
	}
	if e.tableExists("socks") {
		t.Errorf("a dry run on a fresh database left table socks: %q", e.socks())
	}
	if runs := e.runs(); len(runs) != 0 {
		t.Errorf("a dry run recorded runs: %+v", runs)
	}

	// The dry run did not count as an import.
	checkResult(t, "september", e.importFile("socks", sep, Options{}), ok(4, 4, 0, 0))

	checkResult(t, "dry october", e.importFile("socks", oct, dry), ok(6, 2, 2, 2))
	checkRows(t, "after dry october", e.socks(), socksSep)
	checkResult(t, "dry september again", e.importFile("socks", sep, dry), outcome{Status: models.StatusSkipped})
	checkResult(t, "dry forced september", e.importFile("socks", sep, Options{DryRun: true, Force: true}), ok(4, 0, 0, 4))
	failed := outcome{Status: models.StatusFailed, Rows: 7, Rejected: 6}
	checkResult(t, "dry over rejects.max", e.importFile("socks", bad, dry), failed, "rejects.max 5")
	checkRows(t, "after the dry runs", e.socks(), socksSep)
	if runs := e.runs(); len(runs) != 1 || runs[0].Path != sep {
		t.Errorf("sluice_runs after dry runs = %+v, want only the real september run", runs)
	}

	// And October still imports for real with the counts the dry run gave.
	checkResult(t, "october", e.importFile("socks", oct, Options{}), ok(6, 2, 2, 2))
	checkRows(t, "after october", e.socks(), socksOct)
}

// TestImportRunJob: a job imports its files in name order, and a failing
// file does not stop the ones after it.
func TestImportRunJob(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportRunJob)
}

func testImportRunJob(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	// Written newest first, so name order is not creation order.
	nov := e.fixture("socks-2026-10.csv", "in/socks-2026-11.csv")
	oct := e.write("in/socks-2026-10.csv", "sku,name,price\nSK-001,Merino Argyle,12.50\n")
	sep := e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	e.write("in/README.txt", "not a socks file")
	e.write("stock-2026-09.csv", "not matched either")

	results, err := e.im.RunJob(e.ctx, e.job("socks"), Options{})
	if err != nil {
		t.Fatalf("RunJob: %v", err)
	}
	if len(results) != 3 {
		t.Fatalf("RunJob returned %d results, want 3: %+v", len(results), results)
	}
	for i, want := range []string{sep, oct, nov} {
		if results[i].Path != want || results[i].Job != "socks" {
			t.Errorf("result %d is %s of %s, want %s", i, results[i].Path, results[i].Job, want)
		}
	}
	checkResult(t, "september", results[0], ok(4, 4, 0, 0))
	checkResult(t, "october", results[1], outcome{Status: models.StatusFailed}, `"Color"`)
	checkResult(t, "november", results[2], ok(6, 2, 2, 2))
	checkRows(t, "socks", e.socks(), socksOct)

	// Again: the imported files are skipped, the broken one fails again.
	results, err = e.im.RunJob(e.ctx, e.job("socks"), Options{})
	if err != nil || len(results) != 3 {
		t.Fatalf("second RunJob: %d results, %v", len(results), err)
	}
	checkResult(t, "september again", results[0], outcome{Status: models.StatusSkipped})
	checkResult(t, "october again", results[1], outcome{Status: models.StatusFailed}, `"Color"`)
	checkResult(t, "november again", results[2], outcome{Status: models.StatusSkipped})

	var got []string
	for _, r := range e.runs() {
		got = append(got, filepath.Base(r.Path)+" "+r.Status)
	}
	want := []string{
		"socks-2026-09.csv ok", "socks-2026-10.csv failed", "socks-2026-11.csv ok",
		"socks-2026-09.csv skipped", "socks-2026-10.csv failed", "socks-2026-11.csv skipped",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sluice_runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestImportRunJobNoFiles: a source that matches no file is a failed run,
// recorded with the reason, on every database: a missing folder says so,
// an empty one or a pattern that matches nothing says the pattern. With
// source.allow_empty it is no run at all.
func TestImportRunJobNoFiles(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{}), allowEmptyJob)
		pattern := filepath.Join(e.dir, "in", "socks-*")
		for _, tt := range []struct {
			name, reason string
			setup        func()
		}{
			{"missing folder", " (the folder " + filepath.Join(e.dir, "in") + " does not exist)", func() {}},
			{"nothing matches", "", func() { e.write("in/hats-2026-09.csv", "sku\n") }},
		} {
			tt.setup()
			results, err := e.im.RunJob(e.ctx, e.job("socks"), Options{})
			want := "no file matches source.path " + pattern + tt.reason + "; fix source.path, or set source.allow_empty: true if files are moved away once imported"
			var nf *NoFilesError
			if err != nil || len(results) != 1 || results[0].Status != models.StatusFailed || !errors.As(results[0].Err, &nf) ||
				results[0].Err.Error() != want || results[0].Path != pattern {
				t.Fatalf("%s: RunJob = %+v, %v; want one failed result: %s", tt.name, results, err, want)
			}
			runs := e.runs()
			if last := runs[len(runs)-1]; last.Status != models.StatusFailed || last.Error != want || last.Path != pattern {
				t.Errorf("%s: last sluice_runs row = %+v, want failed with the reason", tt.name, last)
			}
		}
		before := len(e.runs())
		if results, err := e.im.RunJob(e.ctx, e.job("hats"), Options{}); err != nil || len(results) != 0 {
			t.Errorf("RunJob with allow_empty = %+v, %v; want no results, no error", results, err)
		}
		if n := len(e.runs()); n != before {
			t.Errorf("allow_empty recorded %d runs, want none", n-before)
		}
	})
}

// allowEmptyJob reads in/nohats-*, which matches nothing, and may.
const allowEmptyJob = `  - name: hats
    source: {path: "in/nohats-*", allow_empty: true}
    table: hats
    key: [sku]
    columns:
      - {name: sku}
`

// TestImportLedger: every run is recorded with the file's identity, its
// outcome and its times.
func TestImportLedger(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportLedger)
}

func testImportLedger(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	sep := e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	bad := e.fixture("socks-rejects.csv", "in/socks-rejects.csv")
	broken := e.write("in/socks-broken.csv", "sku,name\nSK-001,x\n")

	results := []Result{
		e.importFile("socks", sep, Options{}),
		e.importFile("socks", sep, Options{}),
		e.importFile("socks", sep, Options{Force: true}),
		e.importFile("socks", bad, Options{}),
		e.importFile("socks", broken, Options{}),
	}
	type want struct {
		path, status                                 string
		forced                                       bool
		rows, inserted, updated, unchanged, rejected int64
		rejectFile                                   string
		err                                          string // substring; "" means none
	}
	wants := []want{
		{path: sep, status: models.StatusOK, rows: 4, inserted: 4},
		{path: sep, status: models.StatusSkipped},
		{path: sep, status: models.StatusOK, forced: true, rows: 4, unchanged: 4},
		{path: bad, status: models.StatusOK, rows: 11, inserted: 1, updated: 1, rejected: 9, rejectFile: results[3].RejectFile},
		{path: broken, status: models.StatusFailed, err: "header lacks declared column(s)"},
	}
	runs := e.runs()
	if len(runs) != len(wants) {
		t.Fatalf("sluice_runs has %d rows, want %d: %+v", len(runs), len(wants), runs)
	}
	if results[3].RejectFile == "" {
		t.Error("the import with rejects has no reject file")
	}
	prevFinish := clockStart
	for i, w := range wants {
		r := runs[i]
		size, sum := fileSHA256(t, w.path)
		got := want{
			path: r.Path, status: r.Status, forced: r.Forced, rows: r.Rows, inserted: r.Inserted,
			updated: r.Updated, unchanged: r.Unchanged, rejected: r.Rejected, rejectFile: r.RejectFile, err: r.Error,
		}
		w2 := w
		if w.err != "" && strings.Contains(r.Error, w.err) {
			w2.err = r.Error
		}
		if r.Job != "socks" || got != w2 || r.Size != size || r.SHA256 != sum {
			t.Errorf("run %d:\n got %+v job %q size %d sha256 %s\nwant %+v job socks size %d sha256 %s",
				i+1, got, r.Job, r.Size, r.SHA256, w, size, sum)
		}
		if w.err != "" && r.Error != results[i].Err.Error() {
			t.Errorf("run %d: error %q, Result.Err %q", i+1, r.Error, results[i].Err)
		}
		// Times come from the importer's clock, in order, finish after start.
		if !r.StartedAt.After(prevFinish) || r.FinishedAt.Before(r.StartedAt) || r.FinishedAt.After(e.clock.Now()) {
			t.Errorf("run %d: started %v, finished %v; previous run finished %v", i+1, r.StartedAt, r.FinishedAt, prevFinish)
		}
		prevFinish = r.FinishedAt
	}
	// The times are stored in UTC, readable as such with plain SQL: the
	// first reading of the clock is 03:00:01 UTC.
	cast := "CAST(started_at AS TEXT)"
	if e.db.Dialect.Name() == "mysql" {
		cast = "CAST(started_at AS CHAR)"
	}
	raw := e.query("SELECT " + cast + " FROM sluice_runs ORDER BY id LIMIT 1")
	if len(raw) != 1 || !strings.HasPrefix(raw[0][0], "2026-10-01 03:00:01") {
		t.Errorf("started_at as stored = %q, want 2026-10-01 03:00:01 UTC", raw)
	}
}

// TestImportDecimalDigits: a decimal is never stored with fewer digits than
// the file has: a value either lands exactly or is rejected.
func TestImportDecimalDigits(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, `  - name: prices
    source: {path: "in/prices-*.csv"}
    table: prices
    key: [id]
    columns:
      - {name: id, type: integer}
      - {name: amount, type: decimal, precision: 18, scale: 2}
      - {name: open, type: decimal}
`)
	values := [][2]string{ // amount (precision 18, scale 2), open (no precision)
		{"19.99", "19.99"},
		{"12.50", "0.10"},
		{"-0.01", "-000.5"},
		{"9999999999999.99", "999999999999999"},
		{"1234567890123456.78", "123456789012345678901234567890"},
		{"9999999999999999.99", "0.1234567890123456789"},
	}
	var b strings.Builder
	b.WriteString("id,amount,open\n")
	for i, v := range values {
		b.WriteString(strings.Join([]string{strconv.Itoa(i + 1), v[0], v[1]}, ",") + "\n")
	}
	res := e.importFile("prices", e.write("in/prices-1.csv", b.String()), Options{})
	if res.Status != models.StatusOK {
		t.Fatalf("import: %s %v", res.Status, res.Err)
	}
	stored := map[string][2]string{}
	// SQLite keeps a non-integer decimal as the nearest 64-bit float, which
	// holds 15 significant digits; newer SQLite versions print such a
	// float with 17 (9999999999999.99 as 9999999999999.9902), so read it
	// back at the precision it is guaranteed to.
	const asText = "CASE typeof(%[1]s) WHEN 'real' THEN printf('%%!.15g', %[1]s) ELSE CAST(%[1]s AS TEXT) END"
	for _, r := range e.query(fmt.Sprintf("SELECT id, "+asText+", "+strings.ReplaceAll(asText, "[1]", "[2]")+" FROM prices", "amount", "open")) {
		stored[r[0]] = [2]string{r[1], r[2]}
	}
	rejected := map[string]bool{}
	if res.RejectFile != "" {
		for _, r := range readRejects(t, res.RejectFile)[1:] {
			rejected[r[3]] = true
		}
	}
	for i, v := range values {
		id := strconv.Itoa(i + 1)
		got, landed := stored[id]
		switch {
		case landed && rejected[id]:
			t.Errorf("id %s both stored and rejected", id)
		case !landed && !rejected[id]:
			t.Errorf("id %s neither stored nor rejected", id)
		case landed:
			for c, name := range []string{"amount", "open"} {
				if !sameDecimal(got[c], v[c]) {
					t.Errorf("id %s: %s %s is stored as %s: digits lost", id, name, v[c], got[c])
				}
			}
		}
	}
}

// sameDecimal reports whether two decimal texts are the same number.
func sameDecimal(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// TestImportDatabasePath: a relative SQLite URL names a file in the
// config's folder, whatever characters the folder's name has.
func TestImportDatabasePath(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"with space", "50%25 off", "what?", "hash#tag"} {
		t.Run(strings.NewReplacer("%", "pct", "?", "q", "#", "h").Replace(name), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			e := newImportEnvIn(t, dir, socksJob(socksOpts{}))
			res := e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{})
			checkResult(t, "import", res, ok(4, 4, 0, 0))
			if _, err := os.Stat(filepath.Join(dir, "test.db")); err != nil {
				t.Errorf("the database is not %s: %v", filepath.Join(dir, "test.db"), err)
			}
		})
	}
}
