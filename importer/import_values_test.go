package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestImportTextRoundTrip: text cells reach the table byte for byte,
// whatever SQL or CSV syntax they hold.
func TestImportTextRoundTrip(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportTextRoundTrip)
}

func testImportTextRoundTrip(t *testing.T, b dbtest.Backend) {
	names := []string{
		`Hiker's Choice`,
		`The "Sunday" Sock`,
		`back\slash \n \x00 \' not escapes`,
		`question? $1 :name @p1 %s %%`,
		`-- not a comment`,
		`/* nor this */`,
		"tab\there",
		"two\nlines",
		"crlf\r\nkept as CRLF",
		"lone\rCR",
		"  spaces kept  ",
		"Smörgåsbord 🧦 €",
		strings.Repeat("long ", 13000), // 65,000 bytes: fits MySQL's TEXT
		strings.Repeat("longer ", 20000),
	}
	// MySQL's TEXT holds 65,535 bytes: there the longest name is
	// rejected with this reason, not cut.
	longest, tooLong := len(names)-1, ""
	if b.Name == "mysql" {
		tooLong = "text is 140000 bytes; the column holds 65535"
	}
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	var sb strings.Builder
	sb.WriteString("sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n")
	for i, n := range names {
		fmt.Fprintf(&sb, "SK-%02d,\"%s\",,,,,,\n", i, strings.ReplaceAll(n, `"`, `""`))
	}
	res := e.importFile("socks", e.write("in/socks-text.csv", sb.String()), Options{})
	want := ok(int64(len(names)), int64(len(names)), 0, 0)
	if tooLong != "" {
		want.Inserted, want.Rejected = want.Inserted-1, 1
	}
	checkResult(t, "import", res, want)
	got := map[string]string{}
	for _, r := range e.query("SELECT sku, name FROM socks") {
		got[r[0]] = r[1]
	}
	for i, n := range names {
		sku := fmt.Sprintf("SK-%02d", i)
		g, stored := got[sku]
		switch {
		case i == longest && tooLong != "":
			if stored {
				t.Errorf("%s: a name of %d bytes is stored as %d bytes", sku, len(n), len(g))
			}
		case g != n:
			t.Errorf("%s: name %.60q stored as %.60q", sku, n, g)
		}
	}
	if tooLong != "" {
		rej := readRejects(t, res.RejectFile)
		if len(rej) != 2 || rej[1][1] != "name" || rej[1][2] != tooLong {
			t.Errorf("reject file = %.200q, want the longest name rejected: %s", rej, tooLong)
		}
	}
}

// TestImportNULInText: a NUL byte far enough into the file that the
// binary sniff does not see it must still be handled as bad data: the
// row rejected with a reason, or the file failed naming the line. It
// must never reach the database as a broken statement.
func TestImportNULInText(t *testing.T) {
	t.Parallel()
	for _, batch := range []int{2000, 10} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, be dbtest.Backend) {
				testImportNULInText(t, be, batch)
			})
		})
	}
}

func testImportNULInText(t *testing.T, be dbtest.Backend, batch int) {
	e := newImportEnvOn(t, be, socksJob(socksOpts{}))
	e.im.cfg.BatchRows = batch
	var b strings.Builder
	b.WriteString("sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n")
	for i := range 500 { // about 20 KiB, past the sniffed start
		fmt.Fprintf(&b, "SK-%05d,Plain Sock,Red,1.00,1,true,2026-09-01,\n", i)
	}
	b.WriteString("SK-NUL,Nul\x00Sock,Red,1.00,1,true,2026-09-01,\n") // line 502
	for i := 500; i < 1000; i++ {
		fmt.Fprintf(&b, "SK-%05d,Plain Sock,Red,1.00,1,true,2026-09-01,\n", i)
	}
	res := e.importFile("socks", e.write("in/socks-nul.csv", b.String()), Options{})
	switch res.Status {
	case models.StatusOK:
		want := ok(1001, 1000, 0, 0)
		want.Rejected = 1
		checkResult(t, "import", res, want)
		rej := readRejects(t, res.RejectFile)
		if len(rej) != 2 || rej[1][0] != "502" || rej[1][1] != "name" || !strings.Contains(rej[1][2], "NUL") {
			t.Errorf("reject file = %q, want line 502, column name, a reason naming the NUL byte", rej)
		}
	default:
		if res.Err == nil || !strings.Contains(res.Err.Error(), "NUL") || !strings.Contains(res.Err.Error(), "502") ||
			errors.Is(res.Err, context.Canceled) {
			t.Errorf("import %s: error %v, want the row rejected or an error naming the NUL byte on line 502", res.Status, res.Err)
		}
	}
}

// TestImportWriteError: when the database refuses a row, the error says
// so; it is not hidden behind the reader being stopped.
func TestImportWriteError(t *testing.T) {
	t.Parallel()
	for _, batch := range []int{2000, 10} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, be dbtest.Backend) {
				testImportWriteError(t, be, batch)
			})
		})
	}
}

func testImportWriteError(t *testing.T, be dbtest.Backend, batch int) {
	e := newImportEnvOn(t, be, socksJob(socksOpts{}))
	e.im.cfg.BatchRows = batch
	// notes is not declared, NOT NULL and has no default: every
	// insert fails.
	e.exec(handMade(be, `CREATE TABLE socks (sku {key} PRIMARY KEY, name TEXT, colour TEXT, price {num}, quantity INTEGER,
		in_stock BOOLEAN, updated_on DATE, restocked_at {ts}, notes TEXT NOT NULL)`)...)
	var b strings.Builder
	b.WriteString("sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "SK-%05d,Plain Sock,Red,1.00,1,true,2026-09-01,\n", i)
	}
	res := e.importFile("socks", e.write("in/socks-2026-09.csv", b.String()), Options{})
	if res.Status != models.StatusFailed {
		t.Fatalf("Status = %s, want failed", res.Status)
	}
	if errors.Is(res.Err, context.Canceled) || !strings.Contains(res.Err.Error(), "notes") {
		t.Errorf("error %q does not say what the database refused (NOT NULL on socks.notes)", res.Err)
	}
	if n := e.query("SELECT count(*) FROM socks"); n[0][0] != "0" {
		t.Errorf("socks has %s rows after a failed import", n[0][0])
	}
	if runs := e.runs(); len(runs) != 1 || runs[0].Error != res.Err.Error() {
		t.Errorf("sluice_runs = %+v, want the failure with its error", runs)
	}
}

// TestImportStrftime: a date and a timestamp format written as strftime,
// as Python users write them, read the same values as their Go layouts;
// a date in another form is a reject naming the format.
func TestImportStrftime(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{DateFormat: "%d/%m/%Y", TimeFormat: "%Y-%m-%d %H:%M:%S.%f"}))
		res := e.importFile("socks", e.fixture("socks-strftime.csv", "in/socks-2026-09.csv"), Options{})
		want := ok(5, 4, 0, 0)
		want.Rejected = 1
		checkResult(t, "import", res, want)
		checkRows(t, "socks", e.socks(), socksSep)
		checkRows(t, "reject file", readRejects(t, res.RejectFile)[1:], [][]string{{"6", "updated_on",
			`"2026-09-05" is not a date in the form %d/%m/%Y: cannot parse "26-09-05" as "/"`,
			"SK-005", "Bad Date", "White", "1", "1", "no", "2026-09-05", ""}})
	})
}
