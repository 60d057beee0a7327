package importer

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// The import tests run the whole pipeline (config, reader, converters,
// stage, merge, ledger, reject files) against a real database per test,
// and read the table back with plain SQL. Tests about the database run
// on SQLite, PostgreSQL and MySQL (see eachBackend); tests about reading
// files run on a SQLite file only.
//
// Table rows are read through SQLite's quote(), which shows the storage
// class of every value: 'text', 12 (INTEGER), 12.5 (REAL), NULL. That pins
// what an application reading the table really gets, and sidesteps the
// driver, which turns DATE and DATETIME text into time.Time on the way out.

// socksColumns are the socks table's columns in declaration order.
var socksColumns = []string{"sku", "name", "colour", "price", "quantity", "in_stock", "updated_on", "restocked_at"}

// socksSep is testdata/import/socks-2026-09.csv as the table must hold it:
// decimals with NUMERIC affinity (12.50 -> 12.5, 7 -> 7, nothing lost),
// booleans 1/0, dates as text, timestamps as UTC text with microseconds.
var socksSep = [][]string{
	{"'SK-001'", "'Merino Argyle'", "'Navy'", "12.5", "10", "1", "'2026-09-01'", "'2026-09-30 18:00:00.000000'"},
	{"'SK-002'", `'Cosy, "Extra Thick" Lounge'`, "'Red'", "19.99", "0", "0", "'2026-09-02'", "'2026-09-30 18:00:00.000000'"},
	{"'SK-003'", "'Crème Brûlée Stripe'", "NULL", "7", "5", "1", "'2026-09-03'", "NULL"},
	{"'SK-004'", "'Bamboo Dot'", "'White'", "0.1", "250", "0", "'2026-09-04'", "'2026-09-01 00:00:00.123456'"},
}

// socksOct is the table after socks-2026-09.csv then socks-2026-10.csv:
// SK-002 and SK-004 changed, SK-001 and SK-003 (spelt differently) did
// not, SK-005 and SK-006 are new.
var socksOct = [][]string{
	socksSep[0],
	{"'SK-002'", `'Cosy, "Extra Thick" Lounge'`, "'Red'", "17.99", "3", "1", "'2026-10-01'", "'2026-09-30 18:00:00.000000'"},
	socksSep[2],
	{"'SK-004'", "'Bamboo Dot'", "'White'", "0.1", "250", "0", "'2026-09-04'", "'2026-10-01 00:00:00.000000'"},
	{"'SK-005'", "'Office Stripe'", "'Black'", "9.95", "12", "1", "'2026-10-01'", "NULL"},
	{"'SK-006'", "'Trail Rib'", "'Forest Green'", "15", "40", "1", "'2026-10-01'", "'2026-10-01 12:30:00.000000'"},
}

// socksOpts are the knobs of the socks job the tests change.
type socksOpts struct {
	Mode     models.Mode // "" is upsert
	Encoding string      // "" is UTF-8
	Ragged   bool
	Max      string // rejects.max; "" is the default (100)
	MaxField string // source.max_field; "" is the default
	// DateFormat and TimeFormat are updated_on's and restocked_at's
	// format; "" is 2006-01-02 and RFC 3339.
	DateFormat, TimeFormat string
}

// socksJob returns the YAML of a job named socks reading in/socks-*.
func socksJob(o socksOpts) string {
	max := ""
	if o.Max != "" {
		max = fmt.Sprintf("max: %q, ", o.Max)
	}
	if o.DateFormat == "" {
		o.DateFormat = "2006-01-02"
	}
	maxField := ""
	if o.MaxField != "" {
		maxField = fmt.Sprintf("\n      max_field: %q", o.MaxField)
	}
	tsFormat := ""
	if o.TimeFormat != "" {
		tsFormat = fmt.Sprintf(", format: %q", o.TimeFormat)
	}
	return fmt.Sprintf(`  - name: socks
    source:
      path: "in/socks-*"
      encoding: %q
      ragged: %t%s
    table: socks
    key: [sku]
    mode: %q
    columns:
      - {name: sku}
      - {name: name, required: true}
      - {name: colour, csv: Color}
      - {name: price, type: decimal, precision: 10, scale: 2}
      - {name: quantity, type: integer}
      - {name: in_stock, type: boolean}
      - {name: updated_on, type: date, format: %q}
      - {name: restocked_at, type: timestamp%s}
    rejects: {%sdir: rejects}
`, o.Encoding, o.Ragged, maxField, o.Mode, o.DateFormat, tsFormat, max)
}

// stockJob is a job with a composite key (warehouse, sku).
const stockJob = `  - name: stock
    source:
      path: "in/stock-*.csv"
    table: stock_levels
    key: [warehouse, sku]
    columns:
      - {name: warehouse}
      - {name: sku}
      - {name: on_hand, type: integer, required: true}
      - {name: counted_at, type: timestamp}
    rejects: {max: "5%", dir: rejects}
`

// clockStart is when the test clock starts; each reading advances it by a
// second, so every run has distinct, ordered times.
var clockStart = time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// importEnv is one test's world: a folder holding config.yaml, test.db,
// in/ (the source files) and rejects/.
type importEnv struct {
	t     testing.TB
	ctx   context.Context
	dir   string
	cfg   *ConfigFile
	db    *models.DB
	im    *Importer
	clock *testClock
	// undeclared gives the types of table columns no job declares (a
	// hand-made table's id), for reading them back on PostgreSQL and
	// MySQL; undeclared columns not listed read as text.
	undeclared map[string]models.Type
}

// newImportEnv writes a config with the given jobs (YAML list items) into
// a fresh temp dir, loads it, opens its SQLite file and makes an importer.
func newImportEnv(t testing.TB, jobs ...string) *importEnv {
	t.Helper()
	return newImportEnvIn(t, t.TempDir(), jobs...)
}

// newImportEnvIn is newImportEnv in a given, existing folder.
func newImportEnvIn(t testing.TB, dir string, jobs ...string) *importEnv {
	t.Helper()
	return newImportEnvAt(t, dir, "sqlite:///test.db", jobs...)
}

// newImportEnvOn is newImportEnv on a fresh database of backend b.
func newImportEnvOn(t testing.TB, b dbtest.Backend, jobs ...string) *importEnv {
	t.Helper()
	if b.Name == "sqlite" {
		return newImportEnv(t, jobs...)
	}
	return newImportEnvAt(t, t.TempDir(), b.New(t), jobs...)
}

// newImportEnvBeside opens a second importEnv on e's folder and database,
// as a second process would: its own connections, importer and clock.
func newImportEnvBeside(t testing.TB, e *importEnv, jobs ...string) *importEnv {
	t.Helper()
	return newImportEnvAt(t, e.dir, e.cfg.Database.URL, jobs...)
}

// newImportEnvAt writes config.yaml into dir with the database URL and
// the jobs, and opens it.
func newImportEnvAt(t testing.TB, dir, url string, jobs ...string) *importEnv {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf("database:\n  url: %q\njobs:\n", url) + strings.Join(jobs, "")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// No environment: a DATABASE_URL set where the tests run must not
	// send them to another database.
	cfg, err := LoadConfig(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("LoadConfig:\n%s\n%v", text, err)
	}
	ctx := t.Context()
	db, err := models.Open(ctx, cfg.Database.URL, cfg.Dir())
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Database.URL, err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{now: clockStart}
	im, err := New(ctx, db, Config{Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Now: clock.Now})
	if err != nil {
		t.Fatalf("importer.New: %v", err)
	}
	return &importEnv{t: t, ctx: ctx, dir: dir, cfg: cfg, db: db, im: im, clock: clock}
}

// job returns the named job of the config.
func (e *importEnv) job(name string) *Job {
	e.t.Helper()
	j, err := e.cfg.Job(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// write writes data to name (relative to the env's dir) and returns its
// absolute path.
func (e *importEnv) write(name string, data string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// fixture copies testdata/import/src to name and returns its path.
func (e *importEnv) fixture(src, name string) string {
	e.t.Helper()
	return e.write(name, readImportFixture(e.t, src))
}

func readImportFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// importFile imports one file with the named job.
func (e *importEnv) importFile(job, path string, opt Options) Result {
	e.t.Helper()
	results, err := e.im.ImportFiles(e.ctx, e.job(job), []string{path}, opt)
	if err != nil || len(results) != 1 {
		e.t.Fatalf("ImportFiles(%s) = %d results, %v; want one result", path, len(results), err)
	}
	return results[0]
}

// exec runs SQL statements, failing the test on error.
func (e *importEnv) exec(stmts ...string) {
	e.t.Helper()
	for _, s := range stmts {
		if _, err := e.db.Bun.ExecContext(e.ctx, s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

// query runs a SELECT and returns every value as text: NULL for NULL.
func (e *importEnv) query(q string, args ...any) [][]string {
	e.t.Helper()
	rows, err := e.db.Bun.QueryContext(e.ctx, q, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		e.t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = string(x)
			case string:
				row[i] = x
			case int64:
				row[i] = strconv.FormatInt(x, 10)
			case float64:
				row[i] = strconv.FormatFloat(x, 'g', -1, 64)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return out
}

// table returns the rows of table ordered by order, each column through
// quote() (see the top of this file); on the other databases, as quote()
// would show the value (see quoteLike).
func (e *importEnv) table(table, order string, cols ...string) [][]string {
	e.t.Helper()
	if e.db.Dialect.Name() != "sqlite" {
		return e.tableQuoted(table, order, cols...)
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = fmt.Sprintf("quote(%q)", c)
	}
	return e.query(fmt.Sprintf("SELECT %s FROM %q ORDER BY %s", strings.Join(exprs, ", "), table, order))
}

// socks returns the socks table's declared columns, ordered by sku.
func (e *importEnv) socks() [][]string {
	e.t.Helper()
	return e.table("socks", "sku", socksColumns...)
}

// tableExists reports whether the database has a table named name.
func (e *importEnv) tableExists(name string) bool {
	e.t.Helper()
	info, err := e.db.Dialect.Inspect(e.ctx, e.db.Bun, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.Exists
}

// runs returns the ledger, oldest run first.
func (e *importEnv) runs() []models.Run {
	e.t.Helper()
	var runs []models.Run
	if err := e.db.Bun.NewRaw("SELECT * FROM sluice_runs ORDER BY id").Scan(e.ctx, &runs); err != nil {
		e.t.Fatalf("read sluice_runs: %v", err)
	}
	return runs
}

// readRejects reads a reject file; rows may have any number of fields.
func readRejects(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reject file: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reject file %s: %v", path, err)
	}
	return recs
}

// fileSHA256 returns the size and hex SHA-256 of a file.
func fileSHA256(t testing.TB, path string) (int64, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return int64(len(b)), hex.EncodeToString(sum[:])
}

// outcome is the part of a Result the scenarios compare as one value.
type outcome struct {
	Status                                         string
	Rows, Inserted, Updated, Unchanged, Duplicates int64
	Rejected                                       int64
}

func outcomeOf(r Result) outcome {
	return outcome{
		Status: r.Status, Rows: r.Rows, Rejected: r.Rejected,
		Inserted: r.Counts.Inserted, Updated: r.Counts.Updated,
		Unchanged: r.Counts.Unchanged, Duplicates: r.Counts.Duplicates,
	}
}

// ok is the outcome of a successful import.
func ok(rows, inserted, updated, unchanged int64) outcome {
	return outcome{Status: models.StatusOK, Rows: rows, Inserted: inserted, Updated: updated, Unchanged: unchanged}
}

// checkResult compares a Result with the expected outcome and, when
// errParts is non-empty, requires Err to contain each of them (and to be
// nil otherwise).
func checkResult(t testing.TB, what string, got Result, want outcome, errParts ...string) {
	t.Helper()
	if g := outcomeOf(got); g != want {
		t.Errorf("%s: outcome\n got %+v\nwant %+v\n(err: %v)", what, g, want, got.Err)
	}
	switch {
	case len(errParts) == 0 && got.Err != nil:
		t.Errorf("%s: unexpected error: %v", what, got.Err)
	case len(errParts) > 0 && got.Err == nil:
		t.Errorf("%s: no error, want one mentioning %q", what, errParts)
	case len(errParts) > 0:
		for _, p := range errParts {
			if !strings.Contains(got.Err.Error(), p) {
				t.Errorf("%s: error %q does not mention %q", what, got.Err, p)
			}
		}
	}
}

// checkRows compares table rows with the expected ones, row by row.
func checkRows(t testing.TB, what string, got, want [][]string) {
	t.Helper()
	if reflect.DeepEqual(got, want) || (len(got) == 0 && len(want) == 0) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if !reflect.DeepEqual(g, w) {
			mark = "! "
		}
		fmt.Fprintf(&b, "%s got  %q\n%s want %q\n", mark, g, mark, w)
	}
	t.Errorf("%s: rows differ:\n%s", what, b.String())
}
