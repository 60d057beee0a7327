package importer

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// appOwnedSocks is the socks table as a Flask app's db.create_all() makes
// it: a surrogate auto-numbered id as primary key, the natural key unique.
var appOwnedSocks = []string{
	`CREATE TABLE socks (id {id}, sku {key} NOT NULL, name TEXT, colour TEXT, price {num},
		quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at {ts})`,
	"CREATE UNIQUE INDEX socks_sku ON socks (sku)",
}

// socksMonth is a socks file of keys SK-00000 to SK-<rows-1>; the rows
// whose index is a multiple of changeEvery have a quantity changed by
// month, and every row repeated after it (dups of them) too.
func socksMonth(rows, month, changeEvery, dups int) string {
	var b strings.Builder
	b.WriteString("sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n")
	row := func(i int) {
		qty := i
		if i%changeEvery == 0 {
			qty += month
		}
		fmt.Fprintf(&b, "SK-%05d,Plain Sock,Red,1.00,%d,true,2026-09-01,\n", i, qty)
	}
	for i := range rows {
		row(i)
	}
	for i := range dups {
		row(i * 7)
	}
	return b.String()
}

// TestImportKeepsIDs: importing into an app-owned table consumes its id
// sequence (identity, SERIAL, AUTO_INCREMENT) only for the rows it really
// inserts, on either write path: two months in, max(id) is count(*), and
// every existing row keeps its id. An upsert that tried each row first
// burnt an id for every key already there.
func TestImportKeepsIDs(t *testing.T) {
	t.Parallel()
	eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{}))
		e.im.maxSuspects = maxSuspects
		e.exec(handMade(b, appOwnedSocks...)...)
		// 2,000 keys, then the same 2,000 (every 10th changed) and 100
		// new ones, and 5 keys repeated in the file.
		checkResult(t, "september", e.importFile("socks", e.write("in/socks-2026-09.csv", socksMonth(2000, 0, 10, 0)), Options{}), ok(2000, 2000, 0, 0))
		oct := e.importFile("socks", e.write("in/socks-2026-10.csv", socksMonth(2100, 1, 10, 5)), Options{})
		want := ok(2105, 100, 200, 1800)
		want.Duplicates = 5
		checkResult(t, "october", oct, want)
		got := e.query(`SELECT count(*), max(id), min(id) FROM socks`)[0]
		if got[0] != "2100" || got[1] != "2100" || got[2] != "1" {
			t.Errorf("count, max(id), min(id) = %v; want 2100, 2100, 1: only inserted rows take an id", got)
		}
		// Existing rows kept the ids September gave them, in file order.
		for _, sku := range []int{0, 10, 1999} {
			id := e.query(`SELECT id FROM socks WHERE sku = ?`, fmt.Sprintf("SK-%05d", sku))[0][0]
			if id != strconv.Itoa(sku+1) {
				t.Errorf("SK-%05d has id %s, want %d", sku, id, sku+1)
			}
		}
	})
}
