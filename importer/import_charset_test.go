package importer

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// charsetSocks is a socks file whose names test what a column can hold: a
// plain one, one with accents (latin1 has them), one with an emoji
// (latin1 and utf8mb3 have none), one of 20 characters.
const charsetSocks = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n" +
	"SK-1,Plain,Red,1.00,1,true,2026-09-01,\n" +
	"SK-2,Crème Brûlée,Red,1.00,2,true,2026-09-01,\n" +
	"SK-3,Sock 🧦,Red,1.00,3,true,2026-09-01,\n" +
	"SK-4,Twenty characters!!!,Red,1.00,4,true,2026-09-01,\n"

// TestImportColumnLimits: a value an existing table's column cannot hold
// (longer than its VARCHAR, a character its charset lacks) rejects that
// row, saying why, and the rest of the file lands; the whole file used to
// fail at the database. SQLite keeps any text.
func TestImportColumnLimits(t *testing.T) {
	t.Parallel()
	ddl := map[string]string{
		"sqlite":   "CREATE TABLE socks (sku TEXT PRIMARY KEY, name VARCHAR(12), colour TEXT, price NUMERIC, quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME)",
		"postgres": "CREATE TABLE socks (sku TEXT PRIMARY KEY, name VARCHAR(12), colour TEXT, price NUMERIC, quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at TIMESTAMPTZ)",
		"mysql":    "CREATE TABLE socks (sku VARCHAR(20) PRIMARY KEY, name VARCHAR(12) CHARACTER SET latin1, colour TEXT, price DECIMAL(10,2), quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME(6))",
	}
	long := []string{"5", "name", "text is 20 characters; the column holds 12"}
	emoji := []string{"4", "name", `the column's charset latin1 cannot store "🧦" (U+1F9E6); convert the column to utf8mb4 (ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4)`}
	want := map[string][][]string{"sqlite": nil, "postgres": {long}, "mysql": {emoji, long}}
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{}))
		e.exec(ddl[b.Name])
		res := e.importFile("socks", e.write("in/socks-2026-09.csv", charsetSocks), Options{})
		rejected := int64(len(want[b.Name]))
		o := ok(4, 4-rejected, 0, 0)
		o.Rejected = rejected
		checkResult(t, "import", res, o)
		var got [][]string
		if res.RejectFile != "" {
			for _, r := range readRejects(t, res.RejectFile)[1:] {
				got = append(got, r[:3])
			}
		}
		if !slices.EqualFunc(got, want[b.Name], slices.Equal) {
			t.Errorf("rejects %q, want %q", got, want[b.Name])
		}
		names := e.query(`SELECT name FROM socks ORDER BY sku`)
		for _, n := range names {
			if (b.Name != "sqlite" && strings.Contains(n[0], "Twenty")) || (b.Name == "mysql" && strings.Contains(n[0], "🧦")) {
				t.Errorf("%q landed in a column that cannot hold it", n[0])
			}
		}
		if b.Name == "mysql" && (len(names) != 2 || names[1][0] != "Crème Brûlée") {
			t.Errorf("names = %q; want Plain and Crème Brûlée, accents kept in latin1", names)
		}
	})
}

// TestImportLatin1Server: on a MariaDB whose server default charset is
// latin1, a table sluice creates is utf8mb4 all the same (its key with a
// binary collation), so an emoji lands instead of failing the file.
func TestImportLatin1Server(t *testing.T) {
	t.Parallel()
	srv := dbtest.StartMariaDB(t, dbtest.ServerOptions{Args: []string{"--character-set-server=latin1", "--collation-server=latin1_swedish_ci"}})
	url := fmt.Sprintf("mysql://root@127.0.0.1:%d/%s", srv.Port, srv.NewDatabase(t))
	e := newImportEnvAt(t, t.TempDir(), url, socksJob(socksOpts{}))
	res := e.importFile("socks", e.write("in/socks-2026-09.csv", charsetSocks), Options{})
	checkResult(t, "import", res, ok(4, 4, 0, 0))
	if got := e.query(`SELECT name FROM socks WHERE sku = 'SK-3'`); len(got) != 1 || got[0][0] != "Sock 🧦" {
		t.Errorf("SK-3's name = %q, want the emoji kept", got)
	}
	cols := e.query(`SELECT column_name, character_set_name, collation_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = 'socks' AND character_set_name IS NOT NULL ORDER BY ordinal_position`)
	for _, c := range cols {
		if c[1] != "utf8mb4" || (c[0] == "sku" && !strings.HasSuffix(c[2], "_bin")) {
			t.Errorf("column %s is %s / %s; want utf8mb4, the key with a binary collation", c[0], c[1], c[2])
		}
	}
}
