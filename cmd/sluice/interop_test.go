package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// interopModules are the Python modules testdata/interop/app.py needs on
// each database.
var interopModules = map[string][]string{
	"sqlite":   {"flask_sqlalchemy", "alembic"},
	"postgres": {"flask_sqlalchemy", "alembic", "psycopg2"},
	"mysql":    {"flask_sqlalchemy", "alembic", "pymysql"},
}

// appReport is what testdata/interop/app.py prints; a value is [Python
// type name, text].
type appReport struct {
	KneeHigh           [][][2]string       `json:"knee_high"`
	StockLevel         [][2]string         `json:"stock_level"`
	EveryTypes         [][][2]string       `json:"every_types"`
	Names              [][2]string         `json:"names"`
	Alembic            []string            `json:"alembic"`
	AlembicWithoutHook []string            `json:"alembic_without_hook"`
	Reflected          map[string][]string `json:"reflected"`
	Automap            []string            `json:"automap"`
	AutomapRows        map[string]int      `json:"automap_rows"`
}

// TestAppInterop is the Flask app and sluice on one database, on each
// database: the real binary imports the sample data through the
// SQLAlchemy-form DATABASE_URL the app has, `sluice models` writes
// models.py, and testdata/interop/app.py (Debian's Flask-SQLAlchemy and
// Alembic) reads the tables through it, reflects them, and runs Alembic's
// autogenerate comparison. Once into tables sluice creates, once with
// socks as an earlier release made it (a unique index, no primary key).
func TestAppInterop(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			python := dbtest.Python(t, interopModules[b.Name]...)
			for _, earlier := range []bool{false, true} {
				name := "sluice-made"
				if earlier {
					name = "earlier-release"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					work := filepath.Join(t.TempDir(), "work")
					copySample(t, work)
					url := sqlalchemyURL(t, b.New(t), work)
					if earlier {
						createEarlierSocks(t, url, work)
					}
					got := runApp(t, python, importWithModels(t, bin, work, url), url, "")
					checkApp(t, got, b.Name, earlier)
					checkKneeHigh(t, got.KneeHigh, kneeHighSQL(t, url, work))
				})
			}
		})
	}
}

// TestAppInteropEveryType is TestAppInterop's app on the jobs of
// importer/appmodels/testdata: every column type, a decimal without a
// scale, names Python would not take, two jobs sharing a table. Each
// value reads back as its Python type, exactly (microseconds too), and
// Alembic's comparison, types included, finds every generated type equal
// to what sluice created.
func TestAppInteropEveryType(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			python := dbtest.Python(t, interopModules[b.Name]...)
			work := filepath.Join(t.TempDir(), "work")
			const from = "../../importer/appmodels/testdata"
			for _, f := range []string{"config.yaml", "socks-1.csv", "backfill/socks-1.csv", "stock-1.csv", "every.csv", "names.csv", "categories.csv", "category.csv"} {
				copyFile(t, filepath.Join(from, f), filepath.Join(work, f))
			}
			url := sqlalchemyURL(t, b.New(t), work)
			got := runApp(t, python, importWithModels(t, bin, work, url), url, "--every")
			// A decimal without a scale: NUMERIC keeps what was written,
			// MySQL's DECIMAL(65,30) 30 places, SQLite's float 10.
			amount := map[string]string{"postgres": "12.5", "mysql": "12.500000000000000000000000000000", "sqlite": "12.5000000000"}[b.Name]
			at := "2026-09-30T18:00:00.123456"
			if b.Name == "postgres" {
				at += "+00:00"
			}
			none := [2]string{"NoneType", "None"}
			want := [][][2]string{
				{{"str", "A"}, {"int", "1"}, {"str", "first"}, {"float", "0.25"}, {"Decimal", amount}, {"Decimal", "3.125"},
					{"bool", "True"}, {"date", "2026-09-01"}, {"datetime", at}},
				{{"str", "A"}, {"int", "2"}, {"str", "second"}, none, none, none, {"bool", "False"}, none, none},
			}
			if fmt.Sprint(got.EveryTypes) != fmt.Sprint(want) {
				t.Errorf("EveryType rows\n%v\nwant\n%v", got.EveryTypes, want)
			}
			wantNames := [][2]string{{"str", "k"}, {"str", "c"}, {"int", "7"}, {"str", "d"}, {"str", "q"}, {"str", "m"}, {"str", "s"}, {"str", "x"}}
			if !slices.Equal(got.Names, wantNames) {
				t.Errorf("Class row %v, want %v", got.Names, wantNames)
			}
			checkAlembicAndRows(t, got, map[string]int{"categories": 1, "category": 1, "class_": 1, "every_types": 2, "socks": 2, "stock_levels": 1})
		})
	}
}

// sqlalchemyURL is the dbtest database's URL as the app spells it:
// sqlite:////abs/path.db (SQLAlchemy does not unescape it),
// postgresql+psycopg2://…, mysql+pymysql://….
func sqlalchemyURL(t *testing.T, raw, dir string) string {
	t.Helper()
	target, err := models.ParseURL(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	if target.Driver == "sqlite" {
		return "sqlite:///" + target.Path
	}
	return withScheme(t, raw, sqlalchemySchemes[target.Driver])
}

// createEarlierSocks makes the socks table as a release before primary
// keys did: the job's columns with the types sluice gives them, and a
// unique index named <table>_<key>_key on the key.
func createEarlierSocks(t *testing.T, url, dir string) {
	t.Helper()
	ctx := t.Context()
	db, err := models.Open(ctx, url, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg, err := importer.LoadConfig(filepath.Join(dir, "config.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	job, err := cfg.Job("socks")
	if err != nil {
		t.Fatal(err)
	}
	ds := job.Dataset(db.Dialect)
	var cols []string
	for _, c := range ds.Columns {
		col := fmt.Sprintf("%q %s", c.Name, db.Dialect.ColumnType(c))
		if c.NotNull {
			col += " NOT NULL"
		}
		cols = append(cols, col)
	}
	for _, stmt := range []string{
		fmt.Sprintf("CREATE TABLE %q (%s)", ds.Table, strings.Join(cols, ", ")),
		fmt.Sprintf("CREATE UNIQUE INDEX %q ON %q (%q)", ds.KeyIndexName(), ds.Table, ds.Key[0]),
	} {
		if _, err := db.Bun.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// importWithModels runs sluice import in work against url, as the app
// sees the database, then writes what sluice models prints to
// work/models.py; it returns work.
func importWithModels(t *testing.T, bin, work, url string) string {
	t.Helper()
	s := newSluiceCmd(bin, work, url)
	if code, stdout, stderr := s.run(t, "import", "--log-level", "warn"); code != 0 {
		t.Fatalf("sluice import: exit %d\n%s%s", code, stdout, stderr)
	}
	code, text, stderr := s.run(t, "models")
	if code != 0 {
		t.Fatalf("sluice models: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(work, "models.py"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return work
}

// runApp runs testdata/interop/app.py on the database at url with the
// models.py in work, and decodes what it prints; flag is "" or --every.
func runApp(t *testing.T, python, work, url, flag string) appReport {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "interop", "app.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
	defer cancel()
	args := []string{script}
	if flag != "" {
		args = append(args, flag)
	}
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "PYTHONPATH="+work, "PYTHONDONTWRITEBYTECODE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", python, script, err, stderr.String())
	}
	var r appReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("app.py printed no report (%v):\n%s\n%s", err, out, stderr.String())
	}
	return r
}

// checkApp compares what the app found with what must hold on driver's
// database: the typed values of a stock level and of three socks, the
// tables reflection and automap map, and Alembic proposing nothing with
// the hook (and, without it, dropping what sluice owns).
func checkApp(t *testing.T, got appReport, driver string, earlier bool) {
	t.Helper()
	// Only PostgreSQL's TIMESTAMPTZ reads back with a zone; elsewhere
	// the naive datetime is UTC.
	counted := "2026-11-30T18:00:00"
	if driver == "postgres" {
		counted += "+00:00"
	}
	wantLevel := [][2]string{{"str", "AMS"}, {"str", "SK-00010"}, {"int", "72"}, {"NoneType", "None"}, {"datetime", counted}}
	if !slices.Equal(got.StockLevel, wantLevel) {
		t.Errorf("StockLevel (AMS, SK-00010) = %v\nwant %v", got.StockLevel, wantLevel)
	}
	wantSocks := map[string][][2]string{
		"SK-00083": {{"str", "SK-00083"}, {"str", `"Odd" Pair, Mismatched`}, {"str", "knee-high"}, {"str", "M"}, {"str", "Sky Blue"},
			{"Decimal", "29.70"}, {"int", "465"}, {"bool", "True"}, {"date", "2026-07-16"}},
		"SK-00037": {{"str", "SK-00037"}, {"str", "Bamboo Rib"}, {"str", "knee-high"}, {"str", "M"}, {"NoneType", "None"},
			{"Decimal", "24.10"}, {"int", "442"}, {"bool", "True"}, {"date", "2026-11-01"}},
		"SK-00211": {{"str", "SK-00211"}, {"str", "Alpaca Houndstooth"}, {"str", "knee-high"}, {"str", "L"}, {"str", "Heather Grey"},
			{"Decimal", "9.75"}, {"int", "0"}, {"bool", "False"}, {"date", "2026-06-23"}},
	}
	for _, r := range got.KneeHigh {
		if want, ok := wantSocks[r[0][1]]; ok {
			if !slices.Equal(r, want) {
				t.Errorf("knee-high sock %s = %v\nwant %v", r[0][1], r, want)
			}
			delete(wantSocks, r[0][1])
		}
	}
	for sku := range wantSocks {
		t.Errorf("the seed's query lacks %s", sku)
	}

	reflected := map[string][]string{
		"sluice_runs": {"id"}, "sluice_schema": {"name"}, "socks": {"sku"}, "stock_levels": {"warehouse", "sku"},
	}
	automap := []string{"sluice_runs", "sluice_schema", "socks", "stock_levels"}
	rows := map[string]int{"socks": 347, "stock_levels": 162}
	withoutHook := []string{"remove_index sluice_runs_job_sha256", "remove_table sluice_runs", "remove_table sluice_schema"}
	if driver == "sqlite" {
		reflected["sqlite_sequence"] = []string{}
		withoutHook = append(withoutHook, "remove_table sqlite_sequence")
	}
	if earlier {
		// No primary key: reflection finds none, automap maps no class.
		reflected["socks"] = []string{}
		automap = slices.DeleteFunc(automap, func(s string) bool { return s == "socks" })
		delete(rows, "socks")
		withoutHook = append(withoutHook, "remove_index socks_sku_key")
		slices.Sort(withoutHook)
	}
	if fmt.Sprint(got.Reflected) != fmt.Sprint(reflected) {
		t.Errorf("db.reflect(): tables and primary keys %v\nwant %v", got.Reflected, reflected)
	}
	if !slices.Equal(got.Automap, automap) {
		t.Errorf("automap classes %v, want %v", got.Automap, automap)
	}
	checkAlembicAndRows(t, got, rows)
	if !slices.Equal(got.AlembicWithoutHook, withoutHook) {
		t.Errorf("Alembic autogenerate without include_object proposes %q\nwant %q", got.AlembicWithoutHook, withoutHook)
	}
}

// checkAlembicAndRows: Alembic's autogenerate with the hook proposes
// nothing, and automap's classes of the jobs' tables count rows.
func checkAlembicAndRows(t *testing.T, got appReport, rows map[string]int) {
	t.Helper()
	if len(got.Alembic) != 0 {
		t.Errorf("Alembic autogenerate with include_object proposes %q, want nothing", got.Alembic)
	}
	if fmt.Sprint(got.AutomapRows) != fmt.Sprint(rows) {
		t.Errorf("rows through automap %v, want %v", got.AutomapRows, rows)
	}
}

// kneeHighSQL is the seed's query in plain SQL through sluice's own
// driver, each value as app.py prints it once SQLAlchemy has typed it.
func kneeHighSQL(t *testing.T, url, dir string) [][][2]string {
	t.Helper()
	ctx := t.Context()
	db, err := models.Open(ctx, url, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Bun.QueryContext(ctx, `SELECT sku, name, style, size, colour, CAST(price AS CHAR(20)), quantity,
		CAST(in_stock AS CHAR(5)), CAST(updated_on AS CHAR(10)) FROM socks WHERE style = 'knee-high' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][][2]string
	for rows.Next() {
		var v [9]sql.NullString
		dest := make([]any, len(v))
		for i := range v {
			dest[i] = &v[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		typed := func(i int, pyType string, text func(string) string) [2]string {
			if !v[i].Valid {
				return [2]string{"NoneType", "None"}
			}
			return [2]string{pyType, text(strings.TrimSpace(v[i].String))}
		}
		same := func(s string) string { return s }
		r := [][2]string{typed(0, "str", same), typed(1, "str", same), typed(2, "str", same), typed(3, "str", same), typed(4, "str", same),
			typed(5, "Decimal", scale2), typed(6, "int", same), typed(7, "bool", pyBool), typed(8, "date", same)}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// scale2 writes a price as NUMERIC(10,2) holds it: SQLite keeps 29.7 and
// 13 (NUMERIC affinity), which SQLAlchemy reads as Decimal("29.70").
func scale2(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	return whole + "." + (frac + "00")[:2]
}

// pyBool is a boolean as each database casts it to text, as Python
// prints it.
func pyBool(s string) string {
	switch strings.ToLower(s) {
	case "1", "true":
		return "True"
	case "0", "false":
		return "False"
	}
	return "unexpected " + s
}

// checkKneeHigh compares the seed's query through the models with the
// plain SQL: the same names in the same order, and the same rows (rows
// with equal names may come in either order; both queries order by name
// only, as the seed does).
func checkKneeHigh(t *testing.T, got, want [][][2]string) {
	t.Helper()
	if len(want) != 66 {
		t.Errorf("plain SQL gives %d knee-high socks, want 66", len(want))
	}
	names := func(rows [][][2]string) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r[1][1])
		}
		return out
	}
	if !slices.Equal(names(got), names(want)) {
		t.Errorf("the seed's query orders the names\n%q\nplain SQL\n%q", names(got), names(want))
	}
	flat := func(rows [][][2]string) []string {
		var out []string
		for _, r := range rows {
			out = append(out, fmt.Sprint(r))
		}
		slices.Sort(out)
		return out
	}
	checkLines(t, "knee-high socks through the models (sorted)", flat(got), flat(want))
}
