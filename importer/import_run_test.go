package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// plainSocks is a socks file of n rows, SK-00000 onwards.
func plainSocks(n int) string {
	var b strings.Builder
	b.WriteString("sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n")
	for i := range n {
		fmt.Fprintf(&b, "SK-%05d,Plain Sock,Red,1.00,%d,true,2026-09-01,\n", i, i)
	}
	return b.String()
}

// TestImportCancelled: a cancelled import writes nothing, and the ledger
// still records it as failed.
func TestImportCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		preCancel bool // cancel before the import starts, else after the first batch
	}{
		{name: "before the import", preCancel: true},
		{name: "half-way through", preCancel: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnv(t, socksJob(socksOpts{}))
			path := e.write("in/socks-2026-09.csv", plainSocks(1000))
			ctx, cancel := context.WithCancel(e.ctx)
			defer cancel()
			e.im.BatchRows = 10
			if tt.preCancel {
				cancel()
			} else {
				e.im.Progress = func(string, int64) func(Progress) {
					return func(Progress) { cancel() }
				}
			}
			res := e.im.ImportFile(ctx, e.job("socks"), path, Options{})
			if res.Status != models.StatusFailed || !errors.Is(res.Err, context.Canceled) {
				t.Errorf("Status %s, Err %v; want failed with context.Canceled", res.Status, res.Err)
			}
			if e.tableExists("socks") {
				if n := e.query("SELECT count(*) FROM socks"); n[0][0] != "0" {
					t.Errorf("socks has %s rows after a cancelled import", n[0][0])
				}
			}
			runs := e.runs()
			if len(runs) != 1 || runs[0].Status != models.StatusFailed || runs[0].Error != res.Err.Error() {
				t.Errorf("sluice_runs = %+v, want the cancelled run, failed", runs)
			}
			// Not imported: the next run imports it.
			again := e.importFile("socks", path, Options{})
			checkResult(t, "again", again, ok(1000, 1000, 0, 0))
		})
	}
}

// TestImportProgress: progress starts with the file's size and ends with
// every byte read.
func TestImportProgress(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, socksJob(socksOpts{}))
	e.im.BatchRows = 100
	path := e.write("in/socks-2026-09.csv", plainSocks(1000))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var started string
	var startSize, last, lastRows int64
	var calls, dones int
	e.im.Progress = func(p string, size int64) func(Progress) {
		started, startSize = p, size
		return func(pr Progress) {
			mu.Lock()
			defer mu.Unlock()
			if pr.Bytes < last || pr.Rows < lastRows {
				t.Errorf("progress went back from %d bytes, %d rows to %+v", last, lastRows, pr)
			}
			last, lastRows, calls = pr.Bytes, pr.Rows, calls+1
			if pr.Done {
				dones++
			}
		}
	}
	checkResult(t, "import", e.importFile("socks", path, Options{}), ok(1000, 1000, 0, 0))
	mu.Lock()
	defer mu.Unlock()
	if started != path || startSize != st.Size() {
		t.Errorf("progress started for %s of %d bytes, want %s of %d", started, startSize, path, st.Size())
	}
	if dones != 1 || last != st.Size() || lastRows != 1000 || calls < 2 {
		t.Errorf("progress: %d calls, %d done, last at %d bytes; want several calls, one done at %d", calls, dones, last, st.Size())
	}
}

// TestImportConcurrentImporters: two importers on one SQLite file (the
// daemon and a person at the CLI) queue on the write lock; each file's
// counts are exact for the order they ran in.
func TestImportConcurrentImporters(t *testing.T) {
	t.Parallel()
	a := newImportEnv(t, socksJob(socksOpts{}))
	b := newImportEnvIn(t, a.dir, socksJob(socksOpts{}))
	sep := a.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	oct := a.fixture("socks-2026-10.csv", "in/socks-2026-10.csv")
	var wg sync.WaitGroup
	var rs, ro Result
	wg.Go(func() { rs = a.importFile("socks", sep, Options{}) })
	wg.Go(func() { ro = b.importFile("socks", oct, Options{}) })
	wg.Wait()
	// The rows October added stay when September comes second.
	backToSep := [][]string{socksSep[0], socksSep[1], socksSep[2], socksSep[3], socksOct[4], socksOct[5]}
	switch got := a.socks(); {
	case outcomeOf(rs) == ok(4, 4, 0, 0):
		checkResult(t, "october second", ro, ok(6, 2, 2, 2))
		checkRows(t, "september then october", got, socksOct)
	default:
		checkResult(t, "october first", ro, ok(6, 6, 0, 0))
		checkResult(t, "september second", rs, ok(4, 0, 2, 2))
		checkRows(t, "october then september", got, backToSep)
	}
	if runs := a.runs(); len(runs) != 2 {
		t.Errorf("sluice_runs has %d rows, want 2", len(runs))
	}
}

// TestImportConcurrentSameFile: two importers given the same file at the
// same time import it once; the other one skips it.
func TestImportConcurrentSameFile(t *testing.T) {
	t.Parallel()
	a := newImportEnv(t, socksJob(socksOpts{}))
	b := newImportEnvIn(t, a.dir, socksJob(socksOpts{}))
	sep := a.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	for round := range 5 {
		path := sep
		if round > 0 { // a fresh file each round: same rows, other bytes
			path = a.write(fmt.Sprintf("in/socks-r%d.csv", round), readImportFixture(t, "socks-2026-09.csv")+strings.Repeat("\n", round))
		}
		var wg sync.WaitGroup
		var ra, rb Result
		wg.Go(func() { ra = a.importFile("socks", path, Options{}) })
		wg.Go(func() { rb = b.importFile("socks", path, Options{}) })
		wg.Wait()
		got := []string{ra.Status, rb.Status}
		if !(got[0] == models.StatusOK && got[1] == models.StatusSkipped) && !(got[0] == models.StatusSkipped && got[1] == models.StatusOK) {
			t.Errorf("round %d: statuses %q (errors %v, %v), want one ok and one skipped", round, got, ra.Err, rb.Err)
		}
	}
	checkRows(t, "socks", a.socks(), socksSep)
	var oks int
	for _, r := range a.runs() {
		if r.Status == models.StatusOK {
			oks++
		}
	}
	if oks != 5 {
		t.Errorf("sluice_runs has %d ok runs, want 5 (one per file)", oks)
	}
}
