package importer

import (
	"bytes"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestImportFoldedKeys: keys that differ only by case, a trailing space or
// an accent are seven keys in a table sluice creates on every database,
// and in an app's table on SQLite and PostgreSQL; an app's MariaDB table,
// its key utf8mb4_general_ci as db.create_all() makes it there, holds
// them as four. There the lines that folded are named, the last of each
// landed, and the others count as duplicates, where they used to fold
// silently.
func TestImportFoldedKeys(t *testing.T) {
	t.Parallel()
	ddl := map[string]string{
		"sqlite":   "CREATE TABLE socks (id INTEGER PRIMARY KEY, sku VARCHAR(32) NOT NULL UNIQUE, name TEXT, colour TEXT, price NUMERIC, quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME)",
		"postgres": "CREATE TABLE socks (id SERIAL PRIMARY KEY, sku VARCHAR(32) NOT NULL UNIQUE, name TEXT, colour TEXT, price NUMERIC, quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at TIMESTAMPTZ)",
		"mysql":    "CREATE TABLE socks (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL UNIQUE, name TEXT, colour TEXT, price DECIMAL(10,2), quantity BIGINT, in_stock BOOLEAN, updated_on DATE, restocked_at DATETIME(6))",
	}
	folds := []models.Folded{
		{Lines: []int64{2, 3}, Keys: [][]string{{"SK-1"}, {"sk-1"}}, Collation: "utf8mb4_general_ci"},
		{Lines: []int64{4, 5}, Keys: [][]string{{"SK-2"}, {"SK-2 "}}, Collation: "utf8mb4_general_ci"},
		{Lines: []int64{6, 7}, Keys: [][]string{{"crème"}, {"creme"}}, Collation: "utf8mb4_general_ci"},
	}
	all := [][]string{{"SK-1", "first"}, {"SK-2", "third"}, {"SK-2 ", "fourth"}, {"SK-3", "seventh"}, {"creme", "sixth"}, {"crème", "fifth"}, {"sk-1", "second"}}
	for _, app := range []bool{false, true} {
		t.Run(map[bool]string{false: "made by sluice", true: "made by the app"}[app], func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b dbtest.Backend) {
				e := newImportEnvOn(t, b, socksJob(socksOpts{}))
				if app {
					e.exec(ddl[b.Name])
				}
				res := e.importFile("socks", e.fixture("socks-folded-keys.csv", "in/socks-2026-09.csv"), Options{})
				want, wantFolds, wantRows := ok(7, 7, 0, 0), []models.Folded(nil), all
				if app && b.Name == "mysql" {
					want = ok(7, 4, 0, 0)
					want.Duplicates = 3
					wantFolds = folds
					wantRows = [][]string{{"SK-2 ", "fourth"}, {"SK-3", "seventh"}, {"creme", "sixth"}, {"sk-1", "second"}}
				}
				checkResult(t, "import", res, want)
				if !reflect.DeepEqual(res.Folded, wantFolds) {
					t.Errorf("app table %t: folded %+v, want %+v", app, res.Folded, wantFolds)
				}
				// Byte order, whatever the key's collation.
				got := e.query("SELECT sku, name FROM socks")
				slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
				checkRows(t, "socks", got, wantRows)
			})
		})
	}
}

// TestWarnFolded: each group of folded keys is one warning naming its
// lines and spellings, up to maxFoldWarnings, then their count.
func TestWarnFolded(t *testing.T) {
	var folds []models.Folded
	for i := range maxFoldWarnings + 3 {
		folds = append(folds, models.Folded{Lines: []int64{int64(2 * i), int64(2*i + 1)}, Keys: [][]string{{"A"}, {"a"}}, Collation: "utf8mb4_general_ci"})
	}
	var buf bytes.Buffer
	im := &Importer{log: slog.New(slog.NewTextHandler(&buf, nil))}
	im.warnFolded(&Job{JobConfig: JobConfig{Name: "socks"}}, File{Name: "/in/socks.csv"}, folds)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != maxFoldWarnings+1 {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), maxFoldWarnings+1, buf.String())
	}
	for _, want := range []string{"lines=\"[0 1]\"", `keys="[\"A\" \"a\"]"`, "collation=utf8mb4_general_ci", "kept=1", "file=/in/socks.csv"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("first warning %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[maxFoldWarnings], "groups=3") {
		t.Errorf("last line %q, want the 3 groups left", lines[maxFoldWarnings])
	}
}
