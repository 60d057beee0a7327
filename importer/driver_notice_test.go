package importer

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// TestNoticeSlowDriver: a large SQLite import by a binary without cgo
// says once how to get the faster driver; a small one, or a binary with
// the cgo driver, says nothing. CI runs the tests in both builds.
func TestNoticeSlowDriver(t *testing.T) {
	t.Parallel()
	db, err := models.Open(context.Background(), "sqlite://", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	im := &Importer{db: db, log: slog.New(slog.NewTextHandler(&buf, nil))}
	im.noticeSlowDriver(Result{Rows: slowDriverRows - 1})
	im.noticeSlowDriver(Result{Rows: slowDriverRows})
	im.noticeSlowDriver(Result{Rows: 2 * slowDriverRows})
	want := 0
	if models.SQLitePureGo() {
		want = 1
	}
	if got := strings.Count(buf.String(), "CGO_ENABLED=1"); got != want {
		t.Errorf("%d notices with driver %s, want %d:\n%s", got, models.SQLiteDriver(), want, buf.String())
	}
}
