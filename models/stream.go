package models

import (
	"errors"
	"fmt"
	"io"
)

// stream is one bulk statement (PostgreSQL's COPY, MySQL's LOAD DATA)
// fed for as long as rows keep coming: Write calls write into a pipe the
// driver reads from on another goroutine, so the database loads one batch
// while sluice parses the next, and a file is one statement rather than
// one per batch (on MariaDB, LOAD DATA per 2000 rows was a fifth slower).
// While it runs the connection can do nothing else, so the writer ends it
// (end) before the transaction needs the connection.
type stream struct {
	pw          *io.PipeWriter
	done        chan streamResult
	result      *streamResult // once ended
	first, last int64         // source lines written, for messages
}

type streamResult struct {
	rows int64
	err  error
}

// startStream runs exec on a goroutine, reading what Write sends.
func startStream(exec func(r io.Reader) (int64, error)) *stream {
	pr, pw := io.Pipe()
	s := &stream{pw: pw, done: make(chan streamResult, 1)}
	go func() {
		n, err := exec(pr)
		// Unblock a Write the statement will never read (it failed).
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.CloseWithError(io.ErrClosedPipe)
		}
		s.done <- streamResult{n, err}
	}()
	return s
}

// write sends one encoded batch of rows from lines first..last.
func (s *stream) write(b []byte, first, last int64) error {
	if s.first == 0 {
		s.first = first
	}
	s.last = last
	if _, err := s.pw.Write(b); err != nil {
		// The statement ended early; its own error says why.
		r := s.end()
		if r.err != nil {
			return r.err
		}
		return err
	}
	return nil
}

// end finishes the statement and returns its outcome; later calls return
// the same.
func (s *stream) end() streamResult {
	if s.result == nil {
		s.pw.Close()
		r := <-s.done
		s.result = &r
	}
	return *s.result
}

// lines names the stream's source lines in an error.
func (s *stream) lines() string { return fmt.Sprintf("lines %d-%d", s.first, s.last) }

// errAborted ends a stream whose rows are not wanted: the statement fails
// and the transaction is rolled back.
var errAborted = errors.New("import aborted")

// abort makes the statement fail and waits for it, so the connection is
// free for the rollback.
func (s *stream) abort() {
	if s.result == nil {
		s.pw.CloseWithError(errAborted)
		r := <-s.done
		s.result = &r
	}
}
