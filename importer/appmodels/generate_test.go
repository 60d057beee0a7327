package appmodels

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenURLs are the databases the golden models.py files are made for.
var goldenURLs = map[string]string{
	"sqlite":   "sqlite:///sockmarket.db",
	"postgres": "postgresql+psycopg2://app:hunter2pw@db.internal/shop",
	"mysql":    "mysql+pymysql://app:hunter2pw@db.internal/shop",
}

// generate returns models.py for testdata/config.yaml on driver's
// database.
func generate(t *testing.T, driver string) []byte {
	t.Helper()
	cfg, err := importer.LoadConfig(filepath.Join("testdata", "config.yaml"), func(name string) (string, bool) {
		return goldenURLs[driver], name == "DATABASE_URL"
	})
	if err != nil {
		t.Fatal(err)
	}
	target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
	if err != nil {
		t.Fatal(err)
	}
	text, err := Generate(cfg.Jobs, target, Options{Config: "config.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// checkGolden compares got with the golden file (go test -update
// rewrites it).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (go test ./importer/appmodels -update rewrites it); got:\n%s", path, got)
	}
}

// TestGenerateGolden generates models.py for testdata/config.yaml (the
// shipped jobs, a job sharing a table, every type, awkward names) on each
// database and compares it with testdata/<database>.py; the URL's
// password never appears.
func TestGenerateGolden(t *testing.T) {
	t.Parallel()
	for driver := range goldenURLs {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			got := generate(t, driver)
			checkGolden(t, filepath.Join("testdata", driver+".py"), got)
			if strings.Contains(string(got), "hunter2pw") || strings.Contains(string(got), "db.internal") {
				t.Errorf("models.py holds the database URL:\n%s", got)
			}
		})
	}
}

// TestGoldenImports imports the three golden files with Flask-SQLAlchemy
// and compares what it makes of them with testdata/mapped.txt: the
// classes and their primary keys, and each column's type as CREATE TABLE
// would make it on the file's database. The DATETIME(6), DOUBLE and REAL
// there are the variants that make create_all and migrations give the
// types sluice creates.
func TestGoldenImports(t *testing.T) {
	t.Parallel()
	python := dbtest.Python(t, "flask_sqlalchemy")
	args := []string{filepath.Join("testdata", "load_models.py")}
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		args = append(args, d+"="+filepath.Join("testdata", d+".py"))
	}
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s%s", python, strings.Join(args, " "), err, out, stderr)
	}
	checkGolden(t, filepath.Join("testdata", "mapped.txt"), out)
}

// TestGenerateSharedTableConflict: two jobs that declare one table
// differently have no single class; the error names both and the way out.
func TestGenerateSharedTableConflict(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(config, []byte(`database: {url: "sqlite:///x.db"}
jobs:
  - {name: a, source: {path: a.csv}, table: socks, key: [sku], columns: [{name: sku}, {name: price, type: decimal}]}
  - {name: b, source: {path: b.csv}, table: socks, key: [sku], columns: [{name: sku}, {name: price, type: real}]}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := importer.LoadConfig(config, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	target, err := models.ParseURL(cfg.Database.URL, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Generate(cfg.Jobs, target, Options{})
	const want = "jobs a and b both import into table socks but declare it differently (columns, types, key or required); models.py needs one declaration of a table: make them agree, or pass --job"
	if err == nil || err.Error() != want {
		t.Errorf("Generate = %v\nwant %s", err, want)
	}
	if text, err := Generate(cfg.Jobs[1:], target, Options{}); err != nil || !strings.Contains(string(text), "price = db.Column(_exactly(db.Float(), db.REAL()))") {
		t.Errorf("Generate(job b) = %v\n%s", err, text)
	}
}
