package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
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
// still records it as failed: the data and its ledger row share one
// transaction, the failure is recorded after the rollback.
func TestImportCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		preCancel bool // cancel before the import starts, else after the first batch
		existing  bool // September is in the table before
	}{
		{name: "before the import", preCancel: true},
		{name: "half-way through", preCancel: false},
		{name: "before the import, table has rows", preCancel: true, existing: true},
		{name: "half-way through, table has rows", preCancel: false, existing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, b dbtest.Backend) {
				testImportCancelled(t, b, tt.preCancel, tt.existing)
			})
		})
	}
}

func testImportCancelled(t *testing.T, b dbtest.Backend, preCancel, existing bool) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	var before [][]string
	var runsBefore int
	if existing {
		checkResult(t, "september", e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{}), ok(4, 4, 0, 0))
		before, runsBefore = socksSep, 1
	}
	// The first row changes SK-001, so a write that survived the cancel
	// would show in the table, not only in its row count.
	data := strings.Replace(plainSocks(1000), "\n", "\nSK-001,Changed Sock,Red,99.00,99,false,2026-10-01,\n", 1)
	path := e.write("in/socks-2026-10.csv", data)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	e.im.cfg.BatchRows = 10
	if preCancel {
		cancel()
	} else {
		// Cancelled while rows are loading, not in an earlier pass.
		e.im.cfg.Progress = func(string, int64) func(Progress) {
			return func(p Progress) {
				if p.Pass == PassLoad && p.Rows > 0 {
					cancel()
				}
			}
		}
	}
	res := e.im.importFile(ctx, e.job("socks"), File{Name: path}, Options{})
	if res.Status != models.StatusInterrupted || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("Status %s, Err %v; want interrupted with context.Canceled", res.Status, res.Err)
	}
	e.im.cfg.Progress = nil
	// On MySQL the table is made before the transaction (CREATE TABLE
	// commits there), so a cancelled first import may leave it, empty.
	if e.tableExists("socks") {
		checkRows(t, "socks after the cancelled import", e.socks(), before)
	} else if existing {
		t.Error("table socks is gone after a cancelled import")
	}
	runs := e.runs()
	if len(runs) != runsBefore+1 || runs[runsBefore].Status != models.StatusInterrupted || runs[runsBefore].Error != res.Err.Error() ||
		runs[runsBefore].Path != path || runs[runsBefore].Inserted != 0 {
		t.Errorf("sluice_runs = %+v, want the cancelled run last, interrupted with %q", runs, res.Err)
	}
	// Not imported: the next run imports it.
	want := ok(1001, 1001, 0, 0)
	if existing {
		want = ok(1001, 1000, 1, 0)
	}
	checkResult(t, "again", e.importFile("socks", path, Options{}), want)
}

// TestImportProgress: progress starts with the file's size, before the
// first pass, and reports each pass from its start to the file's end: the
// checksum, the key scan into a table that has rows, then the load, which
// reports its rows and ends with Done.
func TestImportProgress(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, socksJob(socksOpts{}))
	e.im.cfg.BatchRows = 100
	var mu sync.Mutex
	type passSeen struct {
		name        string
		first, last Progress
	}
	var started string
	var startSize int64
	var passes []passSeen
	var dones int
	e.im.cfg.Progress = func(p string, size int64) func(Progress) {
		started, startSize, passes, dones = p, size, nil, 0
		return func(pr Progress) {
			mu.Lock()
			defer mu.Unlock()
			if len(passes) == 0 || passes[len(passes)-1].name != pr.Pass {
				passes = append(passes, passSeen{name: pr.Pass, first: pr})
			}
			cur := &passes[len(passes)-1]
			if pr.Bytes < cur.last.Bytes || pr.Rows < cur.last.Rows || cur.last.Done {
				t.Errorf("%s pass: progress went from %+v to %+v", pr.Pass, cur.last, pr)
			}
			cur.last = pr
			if pr.Done {
				dones++
			}
		}
	}
	for _, tt := range []struct {
		file, data string
		want       outcome
		passes     []string
	}{
		{"in/socks-2026-09.csv", plainSocks(1000), ok(1000, 1000, 0, 0), []string{PassChecksum, PassLoad}},
		// Into a table with rows: the key scan comes between. (The same
		// rows in other bytes, or the ledger would skip the file.)
		{"in/socks-2026-10.csv", strings.ReplaceAll(plainSocks(1000), "\n", "\r\n"), ok(1000, 0, 0, 1000), []string{PassChecksum, PassKeys, PassLoad}},
	} {
		path := e.write(tt.file, tt.data)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, tt.file, e.importFile("socks", path, Options{}), tt.want)
		mu.Lock()
		if started != path || startSize != st.Size() {
			t.Errorf("%s: progress started for %s of %d bytes, want %s of %d", tt.file, started, startSize, path, st.Size())
		}
		var names []string
		for _, p := range passes {
			names = append(names, p.name)
			if p.first.Bytes != 0 || p.last.Bytes != st.Size() {
				t.Errorf("%s, %s pass: from %d to %d bytes; want 0 to %d", tt.file, p.name, p.first.Bytes, p.last.Bytes, st.Size())
			}
		}
		if !slices.Equal(names, tt.passes) {
			t.Errorf("%s: passes %v, want %v", tt.file, names, tt.passes)
		}
		if last := passes[len(passes)-1].last; dones != 1 || !last.Done || last.Rows != 1000 {
			t.Errorf("%s: %d done, last %+v; want one done at 1000 rows, last", tt.file, dones, last)
		}
		mu.Unlock()
	}
}

// importLocked imports one file through ImportFiles, which holds the job
// lock, as the sluice command does.
func (e *importEnv) importLocked(path string) Result {
	e.t.Helper()
	results, err := e.im.ImportFiles(e.ctx, e.job("socks"), []string{path}, Options{})
	if err != nil || len(results) != 1 {
		e.t.Errorf("ImportFiles(%s) = %d results, %v; want one result", path, len(results), err)
		return Result{Err: err}
	}
	return results[0]
}

// concurrentWays are the two ways two importers can race. ImportFile
// takes no job lock (its caller holds it): on SQLite the transaction's
// write lock (BEGIN IMMEDIATE) still makes two importers queue, on
// PostgreSQL and MySQL nothing does until the unique index, which is
// why every caller goes through ImportFiles. So the ImportFile race is
// SQLite's only.
var concurrentWays = []struct {
	name       string
	sqliteOnly bool
	imp        func(e *importEnv, path string) Result
}{
	{name: "ImportFiles", imp: (*importEnv).importLocked},
	{name: "ImportFile", sqliteOnly: true, imp: func(e *importEnv, path string) Result { return e.importFile("socks", path, Options{}) }},
}

// TestImportConcurrentImporters: two importers on one database (the
// daemon and a person at the CLI), each with its own connections, queue;
// each file's counts are exact for the order they ran in.
func TestImportConcurrentImporters(t *testing.T) {
	t.Parallel()
	for _, way := range concurrentWays {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, b dbtest.Backend) {
				if way.sqliteOnly && b.Name != "sqlite" {
					t.Skip("ImportFile without the job lock serialises on SQLite's write lock only")
				}
				a := newImportEnvOn(t, b, socksJob(socksOpts{}))
				o := newImportEnvBeside(t, a, socksJob(socksOpts{}))
				sep := a.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
				oct := a.fixture("socks-2026-10.csv", "in/socks-2026-10.csv")
				var wg sync.WaitGroup
				var rs, ro Result
				wg.Go(func() { rs = way.imp(a, sep) })
				wg.Go(func() { ro = way.imp(o, oct) })
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
			})
		})
	}
}

// TestImportConcurrentSameFile: two importers given the same file at the
// same time import it once; the other one skips it.
func TestImportConcurrentSameFile(t *testing.T) {
	t.Parallel()
	for _, way := range concurrentWays {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, b dbtest.Backend) {
				if way.sqliteOnly && b.Name != "sqlite" {
					t.Skip("ImportFile without the job lock serialises on SQLite's write lock only")
				}
				testImportConcurrentSameFile(t, b, way.imp)
			})
		})
	}
}

func testImportConcurrentSameFile(t *testing.T, b dbtest.Backend, imp func(e *importEnv, path string) Result) {
	a := newImportEnvOn(t, b, socksJob(socksOpts{}))
	o := newImportEnvBeside(t, a, socksJob(socksOpts{}))
	sep := a.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
	for round := range 5 {
		path := sep
		if round > 0 { // a fresh file each round: same rows, other bytes
			path = a.write(fmt.Sprintf("in/socks-r%d.csv", round), readImportFixture(t, "socks-2026-09.csv")+strings.Repeat("\n", round))
		}
		var wg sync.WaitGroup
		var ra, rb Result
		wg.Go(func() { ra = imp(a, path) })
		wg.Go(func() { rb = imp(o, path) })
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

// TestImportJobLock: while one process imports a job, a second one
// (its own *models.DB on the same database) waits for the job lock and
// then skips the file the first imported; with a short lock timeout it
// gives up with a *LockedError and records nothing.
func TestImportJobLock(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b dbtest.Backend) {
		a := newImportEnvOn(t, b, socksJob(socksOpts{}))
		o := newImportEnvBeside(t, a, socksJob(socksOpts{}))
		sep := a.fixture("socks-2026-09.csv", "in/socks-2026-09.csv")
		// a stops at the end of reading, inside its transaction, lock held.
		held, release := make(chan struct{}), make(chan struct{})
		a.im.cfg.Progress = func(string, int64) func(Progress) {
			return func(p Progress) {
				if p.Done {
					close(held)
					<-release
				}
			}
		}
		var ra Result
		aDone := make(chan struct{})
		go func() {
			defer close(aDone)
			ra = a.importLocked(sep)
		}()
		defer func() {
			select {
			case <-release:
			default:
				close(release) // a failing test must not leave the first import blocked
			}
			<-aDone
		}()
		select {
		case <-held:
		case <-aDone:
			t.Fatalf("the first import ended before it held the lock: %s %v", ra.Status, ra.Err)
		}

		o.im.cfg.LockTimeout = 200 * time.Millisecond
		results, err := o.im.ImportFiles(o.ctx, o.job("socks"), []string{sep}, Options{})
		var le *LockedError
		if !errors.As(err, &le) || le.Job != "socks" || len(results) != 0 {
			t.Errorf("ImportFiles while the job runs = %d results, %v; want a *LockedError for socks", len(results), err)
		} else if !strings.Contains(err.Error(), "job socks is already running") {
			t.Errorf("LockedError says %q", err)
		}

		o.im.cfg.LockTimeout = DefaultLockTimeout
		done := make(chan Result, 1)
		go func() { done <- o.importLocked(sep) }()
		// This only detects a second importer that did not wait: one
		// that is slow to start never fails the test.
		select {
		case r := <-done:
			t.Errorf("the second importer returned %s (%v) while the first held the job lock", r.Status, r.Err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		<-aDone
		checkResult(t, "first", ra, ok(4, 4, 0, 0))
		rb := <-done
		checkResult(t, "second", rb, outcome{Status: models.StatusSkipped})
		runs := a.runs()
		if len(runs) != 2 || runs[0].Status != models.StatusOK || runs[1].Status != models.StatusSkipped {
			t.Errorf("sluice_runs = %+v, want the import and the skip", runs)
		}
		if rb.Previous == nil || len(runs) == 0 || rb.Previous.ID != runs[0].ID {
			t.Errorf("the skip's Previous = %+v, want run %+v", rb.Previous, runs)
		}
		checkRows(t, "socks", a.socks(), socksSep)
	})
}
