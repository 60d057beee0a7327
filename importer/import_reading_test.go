package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestImportReadingRules imports a file with each of README.md's reading
// rules in it (CRLF line ends, a quoted CRLF, quotes inside unquoted
// fields, spaces after closing quotes, text after one, a NUL, a field over
// max_field, a blank line, no final line end) and checks what landed,
// byte for byte, and the reject file, byte for byte.
func TestImportReadingRules(t *testing.T) {
	t.Parallel()
	eachBackend(t, testImportReadingRules)
}

func testImportReadingRules(t *testing.T, b dbtest.Backend) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{MaxField: "64B"}))
	res := e.importFile("socks", e.fixture("socks-reading.csv", "in/socks-reading.csv"), Options{})
	want := ok(8, 5, 0, 0)
	want.Rejected = 3
	checkResult(t, "import", res, want)
	checkRows(t, "socks", e.query("SELECT sku, name, colour FROM socks ORDER BY sku"), [][]string{
		{"SK-1", "Once upon \r\na time", "Red"},
		{"SK-2", `37°36'37.8"N`, "Blue"},
		{"SK-3", `ab"c`, "Blue"},
		{"SK-4", "Sock 1", "Green"},
		{"SK-8", "Last, no line end", "Red"},
	})
	got, err := os.ReadFile(res.RejectFile)
	if err != nil {
		t.Fatal(err)
	}
	// The row that cannot be split follows line, column and reason as it
	// was in the file; the others keep their fields, the field over
	// max_field left empty.
	wantRejects := "line,column,reason,sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n" +
		`7,name,text after the closing quote of a quoted field,SK-5,"Sock"x,Red,5.00,5,true,2026-09-01,` + "\n" +
		"8,name,NUL byte at offset 1; the field is not text,SK-6,a\x00b,Red,6.00,6,true,2026-09-01,\n" +
		"9,name,\"field 2 is 70 B, over source.max_field 64 B; it is left empty in this file\",SK-7,,Red,7.00,7,true,2026-09-01,\n"
	if string(got) != wantRejects {
		t.Errorf("reject file:\n%s\nwant:\n%s", got, wantRejects)
	}
}

// TestImportCROnly: a file with old Mac line ends (CR only) reads as lines,
// a CR inside quotes stays.
func TestImportCROnly(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{}))
		res := e.importFile("socks", e.fixture("socks-cr.csv", "in/socks-cr.csv"), Options{})
		checkResult(t, "import", res, ok(3, 3, 0, 0))
		checkRows(t, "socks", e.query("SELECT sku, name, quantity FROM socks ORDER BY sku"), [][]string{
			{"SK-1", "Mac Sock", "1"}, {"SK-2", "Two\rlines", "2"}, {"SK-3", "Last", "3"},
		})
	})
}

// TestImportControlCharactersInName: a file whose name holds a newline and
// an escape gets a reject file whose name holds neither, and its errors
// name it quoted.
func TestImportControlCharactersInName(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, socksJob(socksOpts{Max: "0"}))
	name := "in/socks-a\nb\x1b[31m.csv"
	path := e.write(name, "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\nSK-1,,Red,1,1,true,2026-09-01,\n")
	res := e.importFile("socks", path, Options{})
	if res.Err == nil {
		t.Fatal("import of a file with a reject under rejects.max 0 succeeded")
	}
	if msg := res.Err.Error(); strings.ContainsAny(msg, "\n\x1b") || !strings.Contains(msg, `socks-a\nb\x1b[31m.csv"`) {
		t.Errorf("error %q holds control characters or does not name the file quoted", msg)
	}
	base := filepath.Base(res.RejectFile)
	if !strings.HasPrefix(base, `socks-socks-a\nb\x1b[31m-`) || strings.ContainsAny(base, "\n\x1b") {
		t.Errorf("reject file name %q", base)
	}
	if _, err := os.Stat(res.RejectFile); err != nil {
		t.Error(err)
	}
}
