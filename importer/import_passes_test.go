package importer

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// cancelSource wraps a job's Source and cancels the import part-way
// through one of the passes over a file: the passes open the file in
// turn (1 the checksum, 2 the load, which reads the header and waits, 3
// the key scan), and the pass watched is cancelled once it has read after
// bytes. It counts what was
// read after the cancel, and the Opens.
type cancelSource struct {
	Source
	pass   int
	after  int64
	cancel context.CancelFunc

	mu        sync.Mutex
	opens     int
	read      int64 // by the watched pass
	cancelled bool
	readAfter int64 // bytes handed out once cancelled
}

func (s *cancelSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	r, err := s.Source.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens++
	return &cancelReader{r: r, s: s, watched: s.opens == s.pass}, nil
}

type cancelReader struct {
	r       io.ReadCloser
	s       *cancelSource
	watched bool
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if !c.watched {
		return n, err
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelled {
		s.readAfter += int64(n)
	}
	s.read += int64(n)
	if !s.cancelled && s.read >= s.after {
		s.cancelled = true
		s.cancel()
	}
	return n, err
}

func (c *cancelReader) Close() error { return c.r.Close() }

// TestImportCancelledInEachPass: cancelling during the checksum, the key
// scan or the load of a large file stops that pass at once (within the
// next read of at most a buffer, rather than at the end of the file),
// starts no later pass, rolls back and records the run as interrupted.
func TestImportCancelledInEachPass(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		pass, opens int // the Open watched; how many there are by the end
	}{{"checksum", 1, 1}, {"key scan", 3, 3}, {"load", 2, 3}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, b dbtest.Backend) {
				testImportCancelledInPass(t, b, tt.pass, tt.opens)
			})
		})
	}
}

func testImportCancelledInPass(t *testing.T, b dbtest.Backend, pass, opens int) {
	e := newImportEnvOn(t, b, socksJob(socksOpts{}))
	if e.db.Dialect.StageDedupes() {
		// Into a table with rows every row goes to the stage, which finds
		// repeats itself: there is no key scan, the load is the second
		// and last pass.
		if pass == 3 {
			t.Skipf("%s scans no keys into a table with rows", b.Name)
		}
		opens = min(opens, 2)
	}
	// A table with rows: SQLite scans keys only then.
	checkResult(t, "september", e.importFile("socks", e.fixture("socks-2026-09.csv", "in/socks-2026-09.csv"), Options{}), ok(4, 4, 0, 0))
	path := e.write("in/socks-2026-10.csv", plainSocks(100_000)) // 5 MB
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	job := *e.job("socks")
	src := &cancelSource{Source: newFileList([]string{path}), pass: pass, after: 1 << 20, cancel: cancel}
	job.source = src

	results, err := e.im.RunJob(ctx, &job, Options{})
	if err != nil || len(results) != 1 {
		t.Fatalf("RunJob = %d results, %v; want one", len(results), err)
	}
	res := results[0]
	if res.Status != models.StatusInterrupted || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("Status %s, Err %v; want interrupted with context.Canceled", res.Status, res.Err)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	// The reader stops at its next read; bufio may have one more 64 KiB
	// read under way.
	if !src.cancelled || src.readAfter > 128<<10 || src.opens != opens {
		t.Errorf("cancelled %t, %d bytes read after the cancel, %d passes opened the file; want at most 128 KiB and %d passes",
			src.cancelled, src.readAfter, src.opens, opens)
	}
	checkRows(t, "socks after the cancelled import", e.socks(), socksSep)
	runs := e.runs()
	if len(runs) != 2 || runs[1].Status != models.StatusInterrupted || runs[1].Path != path || runs[1].Error != res.Err.Error() {
		t.Errorf("sluice_runs = %+v, want september, then the cancelled run, interrupted", runs)
	}
}
