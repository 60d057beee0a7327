package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// writePaths are the two ways rows reach a table: upserted directly with
// only suspected repeats staged, and every row staged (what a file with
// more suspects than the key filter holds gets).
var writePaths = []struct {
	name        string
	maxSuspects int
}{{"direct", defaultMaxSuspects}, {"staged", 0}}

// eachPathAndBackend runs f as a parallel subtest per write path and
// database, with the path's maxSuspects.
func eachPathAndBackend(t *testing.T, f func(t *testing.T, b dbtest.Backend, maxSuspects int)) {
	t.Helper()
	for _, path := range writePaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, b dbtest.Backend) { f(t, b, path.maxSuspects) })
		})
	}
}

// sessionTables returns, for each connection e's pool may hand out, what
// `SELECT count(*)` of table gives there: a count, or "absent". The
// pool's connections are all taken at once, so every idle one is among
// them. MySQL's temporary tables belong to one session and shadow a real
// table of the same name there, so a table must be looked at on every
// connection a later import may get, not on whichever comes first.
func (e *importEnv) sessionTables(table string) []string {
	e.t.Helper()
	n := e.db.Bun.DB.Stats().MaxOpenConnections
	if n <= 0 {
		e.t.Fatal("the pool has no connection limit: its sessions cannot all be seen")
	}
	var out []string
	for range n {
		c, err := e.db.Bun.Conn(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		defer c.Close()
		var count int64
		if err := c.QueryRowContext(e.ctx, fmt.Sprintf("SELECT count(*) FROM %q", table)).Scan(&count); err != nil {
			out = append(out, "absent")
			continue
		}
		out = append(out, strconv.FormatInt(count, 10))
	}
	return out
}

// checkSessions requires every connection of e's pool to see table with
// want (a row count, or "absent").
func checkSessions(t *testing.T, what string, e *importEnv, table, want string) {
	t.Helper()
	for i, got := range e.sessionTables(table) {
		if got != want {
			t.Errorf("%s: connection %d of the pool sees %s as %s, want %s", what, i+1, table, got, want)
		}
	}
}

// TestImportDryRunNewTable: a dry run into a table that does not exist
// yet reports the counts a real import gives, then leaves no table (on no
// connection: MySQL makes a TEMPORARY table there, since CREATE TABLE
// would commit) and no run. The real import afterwards lands in the real
// table, as a second process sees it.
func TestImportDryRunNewTable(t *testing.T) {
	t.Parallel()
	const file = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n" +
		"SK-001,First,Red,1.00,1,true,2026-09-01,\n" +
		"SK-002,Second,Blue,2.00,2,false,2026-09-02,2026-09-02T10:00:00Z\n" +
		"SK-001,First Again,Red,1.50,3,true,2026-09-03,\n"
	want := ok(3, 2, 0, 0)
	want.Duplicates = 1
	rows := [][]string{
		{"'SK-001'", "'First Again'", "'Red'", "1.5", "3", "1", "'2026-09-03'", "NULL"},
		{"'SK-002'", "'Second'", "'Blue'", "2", "2", "0", "'2026-09-02'", "'2026-09-02 10:00:00.000000'"},
	}
	eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{Max: "0"}))
		e.im.maxSuspects = maxSuspects
		path := e.write("in/socks-2026-09.csv", file)

		res := e.importFile("socks", path, Options{DryRun: true})
		checkResult(t, "dry run", res, want)
		if !res.DryRun {
			t.Error("Result.DryRun is false")
		}
		if e.tableExists("socks") {
			t.Errorf("the dry run left table socks: %q", e.socks())
		}
		checkSessions(t, "after the dry run", e, "socks", "absent")
		if runs := e.runs(); len(runs) != 0 {
			t.Errorf("the dry run recorded runs: %+v", runs)
		}

		// A failing dry run into the missing table leaves nothing either.
		bad := e.write("in/socks-bad.csv", file+"SK-003,,Red,1.00,1,true,2026-09-01,\n")
		failed := outcome{Status: models.StatusFailed, Rows: 4, Rejected: 1}
		checkResult(t, "failing dry run", e.importFile("socks", bad, Options{DryRun: true}), failed, "rejects.max 0")
		checkSessions(t, "after the failing dry run", e, "socks", "absent")

		res = e.importFile("socks", path, Options{})
		checkResult(t, "real import", res, want)
		checkRows(t, "socks", e.socks(), rows)
		checkSessions(t, "after the real import", e, "socks", "2")
		other := newImportEnvBeside(t, e, socksJob(socksOpts{Max: "0"}))
		checkRows(t, "socks seen by another process", other.socks(), rows)
		if runs := other.runs(); len(runs) != 1 || runs[0].Status != models.StatusOK || runs[0].Inserted != 2 {
			t.Errorf("sluice_runs = %+v, want the real import only", runs)
		}
	})
}

// checkedSocks is a hand-made socks table whose quantity must stay under
// 1000: a row over it is a write error the database raises mid-file.
const checkedSocks = `CREATE TABLE socks (sku {key} PRIMARY KEY, name TEXT, colour TEXT, price {num},
	quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at {ts},
	CONSTRAINT socks_quantity_small CHECK (quantity < 1000))`

// TestImportFailedFile: a file that fails, for too many rejects or for a
// write error after some batches went in, leaves the table exactly as it
// was, the ledger records the failure with its error, and the next good
// file imports against the table as it was.
func TestImportFailedFile(t *testing.T) {
	t.Parallel()
	// Rows that change SK-001 and SK-002, add two, then break the check.
	const header = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n"
	good := "SK-001,Merino Argyle,Navy,14.00,8,true,2026-10-01,\n" +
		"SK-002,Changed,Red,19.99,1,false,2026-10-01,\n" +
		"SK-007,New One,Teal,1.00,1,true,2026-10-01,\n" +
		"SK-008,New Two,Teal,1.00,2,true,2026-10-01,\n"
	tests := []struct {
		name string
		max  string
		data string
		want outcome
		err  []string
		// anyRows: how many rows were read when the database refused
		// one depends on how far the reader had run ahead.
		anyRows bool
	}{
		{
			name: "over rejects.max",
			max:  "1",
			data: header + good + "SK-009,Bad,Teal,1.00,many,true,2026-10-01,\nSK-010,Bad,Teal,1.00,lots,true,2026-10-01,\n",
			want: outcome{Status: models.StatusFailed, Rows: 6, Rejected: 2},
			err:  []string{"more than rejects.max 1"},
		},
		{
			name:    "a new row the database refuses",
			data:    header + good + "SK-009,Too Many,Teal,1.00,5000,true,2026-10-01,\n" + "SK-010,After,Teal,1.00,1,true,2026-10-01,\n",
			want:    outcome{Status: models.StatusFailed},
			err:     []string{"socks_quantity_small"},
			anyRows: true,
		},
		{
			name:    "an update the database refuses",
			data:    header + good + "SK-003,Crème Brûlée Stripe,,7,5000,1,2026-09-03,\n" + "SK-010,After,Teal,1.00,1,true,2026-10-01,\n",
			want:    outcome{Status: models.StatusFailed},
			err:     []string{"socks_quantity_small"},
			anyRows: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
				e := newImportEnvOn(t, b, socksJob(socksOpts{Max: tt.max}))
				e.im.maxSuspects = maxSuspects
				e.im.cfg.BatchRows = 2 // some batches are written before the bad one
				e.exec(handMade(b, checkedSocks)...)
				checkResult(t, "september", e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{}), ok(4, 4, 0, 0))

				path := e.write("in/socks-2026-10-bad.csv", tt.data)
				res := e.importFile("socks", path, Options{})
				want := tt.want
				if tt.anyRows {
					want.Rows = res.Rows
				}
				checkResult(t, "bad file", res, want, tt.err...)
				checkRows(t, "socks after the bad file", e.socks(), socksSep)
				runs := e.runs()
				if len(runs) != 2 {
					t.Fatalf("sluice_runs has %d rows, want 2 (the failure recorded): %+v", len(runs), runs)
				}
				if r := runs[1]; r.Status != models.StatusFailed || res.Err == nil || r.Error != res.Err.Error() || r.Path != path ||
					r.Inserted != 0 || r.Updated != 0 || r.Rows != res.Rows || r.Rejected != want.Rejected {
					t.Errorf("ledger run = %+v, want failed with error %q", r, res.Err)
				}

				checkResult(t, "good file", e.importFile("socks", e.fixture("socks-2026-10.csv", "in/socks-2026-10.csv"), Options{}), ok(6, 2, 2, 2))
				checkRows(t, "socks after the good file", e.socks(), socksOct)
				if runs := e.runs(); len(runs) != 3 || runs[2].Status != models.StatusOK {
					t.Errorf("sluice_runs = %+v, want the good file last, ok", runs)
				}
			})
		})
	}
}

// TestImportKeyCase: key text differing only in case or trailing spaces
// is distinct keys in a table sluice creates, on every database (MySQL's
// key columns are made with a binary collation). In a table the
// application made with a key that ignores case (SQLite's NOCASE, a
// PostgreSQL ICU collation at level 2, MySQL's utf8mb4_general_ci, which
// also ignores trailing spaces) they are one key: the last occurrence in a
// file wins and the others are duplicates, and a later file updates the
// row. A key new to the table is stored as its last occurrence spells it
// (on SQLite, into an empty table, as its first: the upsert writes the
// other columns); a key already there keeps its spelling.
func TestImportKeyCase(t *testing.T) {
	t.Parallel()
	const header = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n"
	row := func(sku, name string, qty int) string {
		return fmt.Sprintf("%s,%s,Red,1.00,%d,true,2026-10-01,\n", sku, name, qty)
	}
	sep := readImportFixture(t, "socks-2026-09.csv")
	// Table rows as (sku, name, quantity).
	sepRows := [][]string{
		{"'SK-001'", "'Merino Argyle'", "10"},
		{"'SK-002'", `'Cosy, "Extra Thick" Lounge'`, "0"},
		{"'SK-003'", "'Crème Brûlée Stripe'", "5"},
		{"'SK-004'", "'Bamboo Dot'", "250"},
	}
	dups := func(o outcome, n int64) outcome { o.Duplicates = n; return o }
	type expect struct {
		want outcome
		rows [][]string // any order
	}
	tests := []struct {
		name     string
		existing bool // September imported first
		data     string
		distinct expect            // a table sluice made
		folded   map[string]expect // the application's case-insensitive table
	}{
		{
			name: "one file, empty table",
			data: header + row("sk-001", "First", 1) + row("SK-002", "Other", 4) + row("SK-001", "Second", 2) + row("SK-001 ", "Third", 3),
			distinct: expect{ok(4, 4, 0, 0), [][]string{
				{"'sk-001'", "'First'", "1"}, {"'SK-002'", "'Other'", "4"}, {"'SK-001'", "'Second'", "2"}, {"'SK-001 '", "'Third'", "3"},
			}},
			folded: map[string]expect{
				"sqlite":   {dups(ok(4, 3, 0, 0), 1), [][]string{{"'sk-001'", "'Second'", "2"}, {"'SK-002'", "'Other'", "4"}, {"'SK-001 '", "'Third'", "3"}}},
				"postgres": {dups(ok(4, 3, 0, 0), 1), [][]string{{"'SK-001'", "'Second'", "2"}, {"'SK-002'", "'Other'", "4"}, {"'SK-001 '", "'Third'", "3"}}},
				"mysql":    {dups(ok(4, 2, 0, 0), 2), [][]string{{"'SK-001 '", "'Third'", "3"}, {"'SK-002'", "'Other'", "4"}}},
			},
		},
		{
			name:     "one file, table has rows",
			existing: true,
			data:     header + row("sk-001", "First", 1) + row("SK-009", "New", 6) + row("SK-001 ", "Second", 2) + row("sk-009", "New Again", 7),
			distinct: expect{ok(4, 4, 0, 0), append(slices.Clone(sepRows),
				[]string{"'sk-001'", "'First'", "1"}, []string{"'SK-009'", "'New'", "6"},
				[]string{"'SK-001 '", "'Second'", "2"}, []string{"'sk-009'", "'New Again'", "7"})},
			folded: map[string]expect{
				"sqlite": {dups(ok(4, 2, 1, 0), 1), [][]string{{"'SK-001'", "'First'", "1"}, sepRows[1], sepRows[2], sepRows[3],
					{"'SK-001 '", "'Second'", "2"}, {"'sk-009'", "'New Again'", "7"}}},
				"postgres": {dups(ok(4, 2, 1, 0), 1), [][]string{{"'SK-001'", "'First'", "1"}, sepRows[1], sepRows[2], sepRows[3],
					{"'SK-001 '", "'Second'", "2"}, {"'sk-009'", "'New Again'", "7"}}},
				"mysql": {dups(ok(4, 1, 1, 0), 2), [][]string{{"'SK-001'", "'Second'", "2"}, sepRows[1], sepRows[2], sepRows[3],
					{"'sk-009'", "'New Again'", "7"}}},
			},
		},
		{
			name:     "across files",
			existing: true,
			// sk-001 as September has SK-001; SK-002 with a trailing space, changed.
			data: header + "sk-001,Merino Argyle,Navy,12.50,10,true,2026-09-01,2026-09-30T18:00:00Z\n" + row("SK-002 ", "Changed", 9),
			distinct: expect{ok(2, 2, 0, 0), append(slices.Clone(sepRows),
				[]string{"'sk-001'", "'Merino Argyle'", "10"}, []string{"'SK-002 '", "'Changed'", "9"})},
			folded: map[string]expect{
				"sqlite":   {ok(2, 1, 0, 1), append(slices.Clone(sepRows), []string{"'SK-002 '", "'Changed'", "9"})},
				"postgres": {ok(2, 1, 0, 1), append(slices.Clone(sepRows), []string{"'SK-002 '", "'Changed'", "9"})},
				"mysql":    {ok(2, 0, 1, 1), [][]string{sepRows[0], {"'SK-002'", "'Changed'", "9"}, sepRows[2], sepRows[3]}},
			},
		},
	}
	for _, tt := range tests {
		for _, table := range []string{"made by sluice", "case-insensitive"} {
			t.Run(tt.name+"/"+table, func(t *testing.T) {
				t.Parallel()
				eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
					e := newImportEnvOn(t, b, socksJob(socksOpts{}))
					e.im.maxSuspects = maxSuspects
					exp := tt.distinct
					if table == "case-insensitive" {
						exp = tt.folded[b.Name]
						e.exec(handMade(b, caseInsensitiveSocks...)...)
					}
					if tt.existing {
						checkResult(t, "september", e.importFile("socks", e.write("in/socks-2026-09.csv", sep), Options{}), ok(4, 4, 0, 0))
					}
					checkResult(t, "import", e.importFile("socks", e.write("in/socks-case.csv", tt.data), Options{}), exp.want)
					checkRows(t, "socks", sortedRows(e.table("socks", "sku", "sku", "name", "quantity")), sortedRows(exp.rows))
				})
			})
		}
	}
}

// caseInsensitiveSocks make a socks table as an application may have, its
// key compared ignoring case ({cikey}, see handMadeTypes).
var caseInsensitiveSocks = []string{
	"{cicollation}",
	`CREATE TABLE socks (sku {cikey} NOT NULL PRIMARY KEY, name TEXT, colour TEXT, price {num},
	quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at {ts})`,
}

// sortedRows sorts rows by their text, so that expectations need not
// follow each database's collation order.
func sortedRows(rows [][]string) [][]string {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(strings.Join(a, "\x00"), strings.Join(b, "\x00")) })
	return out
}

// TestImportCompositeKeyRepeats: with a key of two columns, a key
// repeated in one file is merged once, its last occurrence winning, into
// an empty table and into one with rows; keys whose parts only join to
// the same text stay apart.
func TestImportCompositeKeyRepeats(t *testing.T) {
	t.Parallel()
	const header = "warehouse,sku,on_hand,counted_at\n"
	file := header +
		"AMS,SK-001,1,\n" +
		"BER,SK-001,2,\n" +
		"AMS,SK-001,3,\n" +
		"BER,SK-009,6,\n" +
		"AMS,SK-002,5,\n" +
		"AMSSK,-001,9,\n" + // AMS + SK-001 spelt across the parts
		"BER,SK-001,20,\n" +
		"BER,SK-009,7,2026-10-01T00:00:00Z\n"
	want := [][]string{
		{"'AMS'", "'SK-001'", "3", "NULL"},
		{"'AMS'", "'SK-002'", "5", "NULL"},
		{"'AMSSK'", "'-001'", "9", "NULL"},
		{"'BER'", "'SK-001'", "20", "NULL"},
		{"'BER'", "'SK-009'", "7", "'2026-10-01 00:00:00.000000'"},
	}
	dups := func(o outcome) outcome { o.Duplicates = 3; return o }
	tests := []struct {
		name   string
		before string // a first file; "" for an empty table
		want   outcome
	}{
		{name: "empty table", want: dups(ok(8, 5, 0, 0))},
		{
			name:   "table has rows",
			before: header + "AMS,SK-001,10,\nBER,SK-001,20,\nAMS,SK-002,5,\n",
			// AMS/SK-001 changes, BER/SK-001 and AMS/SK-002 come back as they are.
			want: dups(ok(8, 2, 1, 2)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachPathAndBackend(t, func(t *testing.T, b dbtest.Backend, maxSuspects int) {
				e := newImportEnvOn(t, b, stockJob)
				e.im.maxSuspects = maxSuspects
				if tt.before != "" {
					checkResult(t, "first", e.importFile("stock", e.write("in/stock-2026-09.csv", tt.before), Options{}), ok(3, 3, 0, 0))
				}
				checkResult(t, "repeats", e.importFile("stock", e.write("in/stock-2026-10.csv", file), Options{}), tt.want)
				checkRows(t, "stock_levels", sortedRows(e.table("stock_levels", "warehouse, sku", "warehouse", "sku", "on_hand", "counted_at")), sortedRows(want))
			})
		})
	}
}

// TestImportLongPath: the ledger holds a file's absolute path and a
// failure's error in full, however long: a path of over 255 characters
// imports, and a failure naming it is recorded.
func TestImportLongPath(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		e := newImportEnvOn(t, b, socksJob(socksOpts{}))
		dir := "in/" + strings.Repeat("d", 120) + "/" + strings.Repeat("e", 120)
		path := e.fixture("socks-2026-09.csv", dir+"/socks-2026-09.csv")
		if len(path) <= 255 {
			t.Fatalf("path %s is only %d characters", path, len(path))
		}
		checkResult(t, "import", e.importFile("socks", path, Options{}), ok(4, 4, 0, 0))
		broken := e.write(dir+"/socks-broken.csv", "sku,name\nSK-001,x\n")
		res := e.importFile("socks", broken, Options{})
		checkResult(t, "broken", res, outcome{Status: models.StatusFailed}, "header lacks declared column(s)")
		runs := e.runs()
		if len(runs) != 2 || runs[0].Path != path || runs[1].Path != broken || res.Err == nil || runs[1].Error != res.Err.Error() {
			t.Errorf("sluice_runs = %+v, want the import of %s and the failure of %s with its error", runs, path, broken)
		}
		checkRows(t, "socks", e.socks(), socksSep)
	})
}
