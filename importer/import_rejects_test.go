package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// rejectNameRE is the name of a reject file of socks-rejects.csv:
// <job>-<file base>-<UTC timestamp>.csv.
var rejectNameRE = regexp.MustCompile(`^socks-socks-rejects-\d{8}T\d{6}\.\d{3}Z\.csv$`)

// TestImportRejects: bad rows are set aside with their physical line,
// column, reason and original fields; the good rows land, including the
// one whose quoted field spans two lines before them.
func TestImportRejects(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportRejects)
}

func testImportRejects(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	path := e.fixture("socks-rejects.csv", "in/socks-rejects.csv")
	res := e.importFile("socks", path, Options{})
	want := ok(11, 2, 0, 0)
	want.Rejected = 9
	checkResult(t, "import", res, want)

	checkRows(t, "socks", e.socks(), [][]string{
		{"'SK-001'", "'Merino\nArgyle'", "'Navy'", "12.5", "10", "1", "'2026-09-01'", "NULL"},
		{"'SK-007'", "'Good Sock'", "'Black'", "3.5", "7", "0", "'2026-09-05'", "'2026-09-05 10:00:00.000000'"},
	})

	if res.RejectFile == "" {
		t.Fatal("Result.RejectFile is empty")
	}
	if dir := filepath.Join(e.dir, "rejects"); filepath.Dir(res.RejectFile) != dir {
		t.Errorf("reject file %s is not in %s", res.RejectFile, dir)
	}
	if base := filepath.Base(res.RejectFile); !rejectNameRE.MatchString(base) {
		t.Errorf("reject file name %q does not match %s", base, rejectNameRE)
	}
	// Reject files hold whole data rows: private to the user and group.
	dbtest.CheckMode(t, res.RejectFile, models.PrivateFileMode)
	dbtest.CheckMode(t, filepath.Dir(res.RejectFile), models.PrivateDirMode)
	const shortRow = "; set source.ragged: true to read missing trailing fields as empty"
	checkRows(t, "reject file", readRejects(t, res.RejectFile), [][]string{
		{"line", "column", "reason", "sku", "name", "Color", "price", "quantity", "in_stock", "updated_on", "restocked_at"},
		{"4", "quantity", `"ten" is not an integer`, "SK-002", "Bamboo Dot", "Red", "1.00", "ten", "true", "2026-09-02", ""},
		{"5", "sku", "key value is empty", "", "Nameless", "Red", "1.00", "1", "true", "2026-09-02", ""},
		{"6", "name", "required value is empty", "SK-003", "", "Red", "1.00", "1", "true", "2026-09-02", ""},
		{"7", "", "has 3 fields, the header has 8" + shortRow, "SK-004", "Short Row", "Red"},
		{"8", "", "has 9 fields, the header has 8", "SK-005", "Long Row", "Red", "1.00", "1", "true", "2026-09-02", "", "extra"},
		{"9", "quantity", "integer 99999999999999999999 is out of range (64-bit)", "SK-006", "Overflow", "Red", "1.00", "99999999999999999999", "true", "2026-09-02", ""},
		{"11", "in_stock", `"maybe" is not a boolean (use true/false, 1/0, yes/no, t/f)`, "SK-008", "Maybe Sock", "Black", "3.50", "7", "maybe", "2026-09-05", ""},
		{"12", "price", "decimal 3.505 has 3 digits after the point; the column allows 2", "SK-009", "Pricey Sock", "Black", "3.505", "7", "true", "2026-09-05", ""},
		{"13", "updated_on", `"2026-02-30" is not a date in the form 2006-01-02: day out of range`, "SK-010", "Leap Sock", "Black", "3.50", "7", "true", "2026-02-30", ""},
	})

	runs := e.runs()
	if len(runs) != 1 {
		t.Fatalf("sluice_runs has %d rows, want 1", len(runs))
	}
	if r := runs[0]; r.Status != models.StatusOK || r.Rows != 11 || r.Inserted != 2 || r.Rejected != 9 || r.RejectFile != res.RejectFile {
		t.Errorf("ledger run = %+v, want ok, 11 rows, 2 inserted, 9 rejected, reject_file %s", r, res.RejectFile)
	}
}

// TestImportCleanFileLeavesNoRejectFile: the reject file is created on
// the first reject only.
func TestImportCleanFileLeavesNoRejectFile(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, socksJob(socksOpts{}))
	res := e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{})
	checkResult(t, "import", res, ok(4, 4, 0, 0))
	if res.RejectFile != "" {
		t.Errorf("RejectFile = %q, want none", res.RejectFile)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "rejects")); !os.IsNotExist(err) {
		t.Errorf("rejects folder exists after a clean import (stat: %v)", err)
	}
}

// badOctober is ten rows against September: SK-003 and SK-007 (lines 4
// and 8) have a bad quantity; the good ones update SK-001 and SK-004,
// repeat SK-002 and add five.
const badOctober = `sku,name,Color,price,quantity,in_stock,updated_on,restocked_at
SK-001,Merino Argyle,Navy,14.00,8,true,2026-10-01,
SK-002,"Cosy, ""Extra Thick"" Lounge",Red,19.99,0,false,2026-09-02,2026-09-30T18:00:00Z
SK-003,Crème Brûlée Stripe,,7,lots,1,2026-09-03,
SK-004,Bamboo Dot,White,0.20,250,no,2026-09-04,2026-09-01T00:00:00.123456Z
SK-005,Office Stripe,Black,9.95,12,true,2026-10-01,
SK-006,Trail Rib,Forest Green,15.00,40,yes,2026-10-01,
SK-007,Hiker Cable Knit,Teal,11.00,many,yes,2026-10-01,
SK-008,Runner Dot,Sky Blue,8.00,3,yes,2026-10-01,
SK-009,Alpaca Plain,Orange,21.00,1,yes,2026-10-01,
SK-010,Thermal Rib,Charcoal,18.50,0,no,2026-10-01,
`

// TestImportRejectLimit: a file with more rejects than rejects.max allows
// fails as a whole; the table is exactly as before and the failure is in
// the ledger.
func TestImportRejectLimit(t *testing.T) {
	t.Parallel()
	passed := ok(10, 5, 2, 1)
	passed.Rejected = 2
	tests := []struct {
		max  string
		want outcome
		err  []string // empty: the import succeeds
		// rejects is how many rows the reject file holds: a count limit
		// stops reading at the reject that breaks it.
		rejects int
	}{
		{max: "1", want: outcome{Status: models.StatusFailed, Rows: 7, Rejected: 2}, err: []string{"rejects.max 1"}, rejects: 2},
		{max: "0", want: outcome{Status: models.StatusFailed, Rows: 3, Rejected: 1}, err: []string{"rejects.max 0"}, rejects: 1},
		{max: "10%", want: outcome{Status: models.StatusFailed, Rows: 10, Rejected: 2}, err: []string{"2 of 10 rows rejected", "rejects.max 10%"}, rejects: 2},
		{max: "19.5%", want: outcome{Status: models.StatusFailed, Rows: 10, Rejected: 2}, err: []string{"rejects.max 19.5%"}, rejects: 2},
		// At the limit is within it.
		{max: "2", want: passed, rejects: 2},
		{max: "20%", want: passed, rejects: 2},
	}
	for _, tt := range tests {
		// The name avoids '%': t.TempDir() is named after the test, and
		// the database path must not be what this test is about.
		t.Run("max "+strings.ReplaceAll(tt.max, "%", " percent"), func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, b dbtest.Backend) {
				testImportRejectLimit(t, b, tt.max, tt.want, tt.err, tt.rejects)
			})
		})
	}
}

func testImportRejectLimit(t *testing.T, b dbtest.Backend, max string, want outcome, errParts []string, rejects int) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{Max: max}))
	first := e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{})
	checkResult(t, "september", first, ok(4, 4, 0, 0))
	path := e.write("in/socks-2026-10.csv", badOctober)
	res := e.importFile("socks", path, Options{})
	checkResult(t, "october", res, want, errParts...)

	if res.RejectFile == "" {
		t.Fatal("RejectFile is empty")
	}
	if got := readRejects(t, res.RejectFile); len(got) != 1+rejects {
		t.Errorf("reject file has %d rows, want header + %d: %q", len(got), rejects, got)
	}
	runs := e.runs()
	if len(runs) != 2 {
		t.Fatalf("sluice_runs has %d rows, want 2", len(runs))
	}
	last := runs[1]
	if len(errParts) == 0 {
		if last.Status != models.StatusOK || last.Rejected != 2 {
			t.Errorf("ledger run = %+v", last)
		}
		return
	}
	checkRows(t, "socks after the failed import", e.socks(), socksSep)
	if last.Status != models.StatusFailed || last.Error != res.Err.Error() || !strings.Contains(last.Error, "rejects.max") ||
		last.Rejected != want.Rejected || last.Inserted != 0 || last.RejectFile != res.RejectFile {
		t.Errorf("ledger run = %+v, want failed with error %q", last, res.Err)
	}
	// The failed file was not imported: running again reads it again
	// (and fails again the same way), it is not skipped.
	checkResult(t, "october again", e.importFile("socks", path, Options{}), want, errParts...)
	// The next good file imports against the table as September left it.
	checkResult(t, "good october", e.importFile("socks", e.fixture("socks-2026-10.csv", "in/socks-2026-10b.csv"), Options{}), ok(6, 2, 2, 2))
	checkRows(t, "socks after the good file", e.socks(), socksOct)
}

// TestImportRejectFileNames: reject files are named after the job and the
// source file without its extensions, so two files' rejects never mix.
func TestImportRejectFileNames(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, socksJob(socksOpts{}))
	bad := "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\nSK-1,,Red,1,1,1,2026-09-01,\n"
	for _, name := range []string{"socks-a.csv", "socks-b.tsv", "socks-c.txt", "socks-d.csv.gz"} {
		data := bad + fmt.Sprintf("SK-%s,ok,Red,1,1,1,2026-09-01,\n", name)
		if strings.HasSuffix(name, ".gz") {
			data = gzipText(t, data)
		}
		res := e.importFile("socks", e.write("in/"+name, data), Options{})
		want := ok(2, 1, 0, 0)
		want.Rejected = 1
		checkResult(t, name, res, want)
		base, _, _ := strings.Cut(name, ".")
		re := regexp.MustCompile(`^socks-` + base + `-\d{8}T\d{6}\.\d{3}Z\.csv$`)
		if got := filepath.Base(res.RejectFile); !re.MatchString(got) {
			t.Errorf("%s: reject file %q does not match %s", name, got, re)
		}
	}
}
