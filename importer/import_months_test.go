package importer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// importStep is one import of a file into the socks table.
type importStep struct {
	file string // path under the env's dir; the job's glob is in/socks-*
	data string
	opt  Options
	want outcome
}

// importCase is a sequence of imports into one fresh database and the
// table it must leave behind.
type importCase struct {
	name  string
	job   socksOpts
	steps []importStep
	want  [][]string
}

// Each case runs on both write paths: rows upserted directly with only
// suspected repeats staged, and every row staged (what a file with more
// suspects than the key filter holds gets); counts and rows must agree.
func runImportCases(t *testing.T, tests []importCase) {
	t.Helper()
	for _, tt := range tests {
		for _, path := range writePaths {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				eachBackend(t, func(t *testing.T, b dbtest.Backend) {
					e := newImportEnvOn(t, b, socksJob(tt.job))
					e.im.maxSuspects = path.maxSuspects
					runImportSteps(t, e, tt)
				})
			})
		}
	}
}

func runImportSteps(t *testing.T, e *importEnv, tt importCase) {
	t.Helper()
	for i, s := range tt.steps {
		path := e.write(s.file, s.data)
		res := e.importFile("socks", path, s.opt)
		checkResult(t, fmt.Sprintf("step %d (%s)", i+1, s.file), res, s.want)
	}
	checkRows(t, "socks", e.socks(), tt.want)
}

func TestImportMonths(t *testing.T) {
	t.Parallel()
	sep := readImportFixture(t, "socks-2026-09.csv")
	oct := readImportFixture(t, "socks-2026-10.csv")
	skipped := outcome{Status: models.StatusSkipped}
	// insert-new leaves SK-002 and SK-004 as September had them.
	insertNewOct := [][]string{socksSep[0], socksSep[1], socksSep[2], socksSep[3], socksOct[4], socksOct[5]}
	// Forcing September back over October reverts the changed rows; the
	// rows October added stay.
	backToSep := [][]string{socksSep[0], socksSep[1], socksSep[2], socksSep[3], socksOct[4], socksOct[5]}

	runImportCases(t, []importCase{
		{
			name:  "first import inserts every row",
			steps: []importStep{{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)}},
			want:  socksSep,
		},
		{
			name: "same file again is skipped",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-2026-09.csv", data: sep, want: skipped},
			},
			want: socksSep,
		},
		{
			name: "same bytes under another name are skipped",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-copy.csv", data: sep, want: skipped},
			},
			want: socksSep,
		},
		{
			name: "force re-imports: every row unchanged",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-2026-09.csv", data: sep, opt: Options{Force: true}, want: ok(4, 0, 0, 4)},
			},
			want: socksSep,
		},
		{
			name: "next month: changed, identical (even spelt differently) and new rows",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-2026-10.csv", data: oct, want: ok(6, 2, 2, 2)},
			},
			want: socksOct,
		},
		{
			name: "next month as the first import",
			steps: []importStep{
				{file: "in/socks-2026-10.csv", data: oct, want: ok(6, 6, 0, 0)},
			},
			want: socksOct,
		},
		{
			name: "forcing an older month back reverts changed rows",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-2026-10.csv", data: oct, want: ok(6, 2, 2, 2)},
				{file: "in/socks-2026-09.csv", data: sep, opt: Options{Force: true}, want: ok(4, 0, 2, 2)},
			},
			want: backToSep,
		},
		{
			name: "insert-new: existing keys never updated, new keys inserted",
			job:  socksOpts{Mode: models.ModeInsertNew},
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-2026-10.csv", data: oct, want: ok(6, 2, 0, 4)},
			},
			want: insertNewOct,
		},
		{
			name: "insert-new with force: all unchanged",
			job:  socksOpts{Mode: models.ModeInsertNew},
			steps: []importStep{
				{file: "in/socks-2026-10.csv", data: oct, want: ok(6, 6, 0, 0)},
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 0, 0, 4)},
			},
			want: socksOct,
		},
	})
}

// TestImportDuplicateKeys: the last occurrence of a key in a file wins,
// is merged once, and the earlier ones are counted as duplicates.
func TestImportDuplicateKeys(t *testing.T) {
	t.Parallel()
	sep := readImportFixture(t, "socks-2026-09.csv")
	const (
		header    = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n"
		sameAsSep = "SK-001,Merino Argyle,Navy,12.50,10,true,2026-09-01,2026-09-30T20:00:00+02:00\n"
		changed   = "SK-001,Merino Argyle,Navy,13.00,9,yes,2026-10-01,\n"
	)
	dups := func(last string) string {
		return header +
			"SK-001,Merino Argyle,Navy,11.00,1,true,2026-09-01,\n" +
			"SK-005,Office Stripe,Black,9.95,12,true,2026-10-01,\n" +
			"SK-001,Merino Argyle,Navy,11.50,2,false,2026-09-01,\n" +
			last
	}
	sk001Changed := []string{"'SK-001'", "'Merino Argyle'", "'Navy'", "13", "9", "1", "'2026-10-01'", "NULL"}
	sk005 := socksOct[4]
	sk009Changed := append([]string{"'SK-009'"}, sk001Changed[1:]...)
	dupOutcome := func(inserted, updated, unchanged int64) outcome {
		o := ok(4, inserted, updated, unchanged)
		o.Duplicates = 2
		return o
	}

	runImportCases(t, []importCase{
		{
			name:  "fresh table: the key is inserted once",
			steps: []importStep{{file: "in/socks-dups.csv", data: dups(changed), want: dupOutcome(2, 0, 0)}},
			want:  [][]string{sk001Changed, sk005},
		},
		{
			name: "existing row, last occurrence equal: unchanged",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-dups.csv", data: dups(sameAsSep), want: dupOutcome(1, 0, 1)},
			},
			want: [][]string{socksSep[0], socksSep[1], socksSep[2], socksSep[3], sk005},
		},
		{
			name: "existing row, last occurrence different: updated",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-dups.csv", data: dups(changed), want: dupOutcome(1, 1, 0)},
			},
			want: [][]string{sk001Changed, socksSep[1], socksSep[2], socksSep[3], sk005},
		},
		{
			name: "existing table, a new key three times: inserted once",
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-dups.csv", data: strings.ReplaceAll(dups(changed), "SK-001", "SK-009"), want: dupOutcome(2, 0, 0)},
			},
			want: [][]string{socksSep[0], socksSep[1], socksSep[2], socksSep[3], sk005, sk009Changed},
		},
		{
			name:  "insert-new, fresh table: the last occurrence still wins",
			job:   socksOpts{Mode: models.ModeInsertNew},
			steps: []importStep{{file: "in/socks-dups.csv", data: dups(changed), want: dupOutcome(2, 0, 0)}},
			want:  [][]string{sk001Changed, sk005},
		},
		{
			name: "insert-new, last occurrence different: still unchanged",
			job:  socksOpts{Mode: models.ModeInsertNew},
			steps: []importStep{
				{file: "in/socks-2026-09.csv", data: sep, want: ok(4, 4, 0, 0)},
				{file: "in/socks-dups.csv", data: dups(changed), want: dupOutcome(1, 0, 1)},
			},
			want: [][]string{socksSep[0], socksSep[1], socksSep[2], socksSep[3], sk005},
		},
	})
}

// TestImportSkipped: a file already imported is not read again; the skip
// names the run that imported it and is itself recorded.
func TestImportSkipped(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportSkipped)
}

func testImportSkipped(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	path := e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	first := e.importFile("socks", path, Options{})
	checkResult(t, "first", first, ok(4, 4, 0, 0))

	again := e.importFile("socks", path, Options{})
	checkResult(t, "again", again, outcome{Status: models.StatusSkipped})
	runs := e.runs()
	if len(runs) != 2 {
		t.Fatalf("sluice_runs has %d rows, want 2: %+v", len(runs), runs)
	}
	if again.Previous == nil {
		t.Fatal("skipped result has no Previous run")
	}
	_, sum := fileSHA256(t, path)
	if p := again.Previous; p.ID != runs[0].ID || p.Status != models.StatusOK || p.SHA256 != sum || p.Inserted != 4 {
		t.Errorf("Previous = %+v, want the first run (id %d, ok, sha256 %s, 4 inserted)", *p, runs[0].ID, sum)
	}
	if again.RejectFile != "" {
		t.Errorf("RejectFile = %q, want none", again.RejectFile)
	}
	skip := runs[1]
	if skip.Status != models.StatusSkipped || skip.Job != "socks" || skip.Path != path || skip.SHA256 != sum ||
		skip.Rows != 0 || skip.Inserted != 0 || skip.Forced || skip.Error != "" {
		t.Errorf("skipped run = %+v", skip)
	}
	checkRows(t, "socks", e.socks(), socksSep)

	// A skip never makes the file look imported twice: force still works
	// and finds the last ok run.
	forced := e.importFile("socks", path, Options{Force: true})
	checkResult(t, "forced", forced, ok(4, 0, 0, 4))
	if forced.Previous != nil {
		t.Errorf("forced result has Previous = %+v, want nil", *forced.Previous)
	}
	if runs := e.runs(); len(runs) != 3 || !runs[2].Forced || runs[2].Status != models.StatusOK || runs[2].Unchanged != 4 {
		t.Errorf("after force, sluice_runs = %+v", runs)
	}
}

// TestImportKeyScanShapes: the key scan must find repeated keys however
// the rows are written: short (ragged) rows, quoted keys, quoted fields
// across lines, CRLF, no final newline. Both write paths must agree.
func TestImportKeyScanShapes(t *testing.T) {
	t.Parallel()
	const header = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at"
	sep := header + "\n" +
		"SK-1,One,Red,1.00,1,true,2026-09-01,\n" +
		"SK-2,Two,Blue,2.00,2,true,2026-09-01,\n"
	oct := header + "\r\n" +
		"SK-1,One,Red,1.50,1,true,2026-09-01\r\n" + // short: ragged
		"\"SK-3\",\"Three, with comma\",Green,3.00,3,true,2026-09-01,\r\n" +
		"SK-2,\"Two\r\nlines\",Blue,2.00,2,true,2026-09-01,\r\n" +
		"SK-1,One,Red,1.00,1,true,2026-09-01,\r\n" + // back as in September
		"\"SK-3\",\"Three, with comma\",Green,3.50,3,true,2026-09-01" // short, no newline
	dups := ok(5, 1, 1, 1)
	dups.Duplicates = 2
	runImportCases(t, []importCase{{
		name: "repeats in every shape",
		job:  socksOpts{Ragged: true},
		steps: []importStep{
			{file: "in/socks-2026-09.csv", data: sep, want: ok(2, 2, 0, 0)},
			{file: "in/socks-2026-10.csv", data: oct, want: dups},
		},
		want: [][]string{
			{"'SK-1'", "'One'", "'Red'", "1", "1", "1", "'2026-09-01'", "NULL"},
			{"'SK-2'", "'Two\r\nlines'", "'Blue'", "2", "2", "1", "'2026-09-01'", "NULL"},
			{"'SK-3'", "'Three, with comma'", "'Green'", "3.5", "3", "1", "'2026-09-01'", "NULL"},
		},
	}})
}

// TestImportDecimalKeySpellings: one decimal key written two ways
// ("1.50", "1.5") is one key to the database, so the key scan must treat
// it as a repeat: the last occurrence wins and it is counted once.
// Both write paths: the direct one relies on the key scan finding the
// repeat, the staged one on the database grouping the keys.
func TestImportDecimalKeySpellings(t *testing.T) {
	t.Parallel()
	eachPathAndBackend(t, testImportDecimalKeySpellings)
}

func testImportDecimalKeySpellings(t *testing.T, b dbtest.Backend, maxSuspects int) {
	e := newImportEnvOn(t, b, `  - name: sizes
    source: {path: "in/sizes-*.csv"}
    table: sizes
    key: [eu]
    columns:
      - {name: eu, type: decimal}
      - {name: label}
`)
	e.im.maxSuspects = maxSuspects
	first := e.importFile("sizes", e.write("in/sizes-1.csv", "eu,label\n38,M\n"), Options{})
	checkResult(t, "first", first, ok(1, 1, 0, 0))
	res := e.importFile("sizes", e.write("in/sizes-2.csv", "eu,label\n1.50,a\n39,L\n1.5,b\n"), Options{})
	want := ok(3, 2, 0, 0)
	want.Duplicates = 1
	checkResult(t, "second", res, want)
	checkRows(t, "sizes", e.table("sizes", "eu", "eu", "label"),
		[][]string{{"1.5", "'b'"}, {"38", "'M'"}, {"39", "'L'"}})
}
