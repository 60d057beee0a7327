package importer

import (
	"context"
	"fmt"
	"io"
	"os"
)

// spool downloads a remote file once into a temporary file, which every
// pass (checksum, key scan, load) then reads: a file is fetched once per
// import, and the passes read the very same bytes. The copy is removed
// by the returned source's remove, whatever the import's outcome.
//
// A download that ends short of (or past) the size the server listed is
// cut off, or the file changed while it was read: either way it is not
// imported, and a later run tries again.
func (im *Importer) spool(ctx context.Context, src Source, f File, rep *progressReport) (*spooledSource, error) {
	r, err := src.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tmp, err := os.CreateTemp("", "sluice-download-*")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", f.Name, err)
	}
	sp := &spooledSource{Source: src, name: f.Name, path: tmp.Name()}
	// Through the writer: io.Copy then uses the reader's WriteTo where
	// it has one (SFTP's reads ahead).
	n, err := io.Copy(&progressWriter{w: tmp, report: rep.report}, r)
	rep.report(Progress{Bytes: n})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case err != nil:
		err = &SourceError{URL: f.Name, Problem: fmt.Sprintf("the download broke off after %d bytes", n), Retry: true, Err: err,
			Hint: "the connection was cut or the server stopped sending; nothing was imported, the next run tries again"}
	case f.Size >= 0 && n != f.Size:
		err = &SourceError{URL: f.Name, Problem: fmt.Sprintf("the download ended after %d of the %d bytes listed", n, f.Size), Retry: true,
			Hint: "it was cut off, or the file changed on the server while it was read; nothing was imported, the next run tries again"}
	}
	if err != nil {
		sp.remove()
		return nil, err
	}
	im.log.Debug("downloaded", "file", f.Name, "bytes", n)
	return sp, nil
}

// spooledSource is a remote source during one file's import: that file
// is read from its downloaded copy.
type spooledSource struct {
	Source
	name, path string
}

func (s *spooledSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	if f.Name != s.name {
		return s.Source.Open(ctx, f)
	}
	return openLocal(ctx, s.path)
}

func (s *spooledSource) remove() { os.Remove(s.path) }

// progressWriter reports the bytes downloaded as they come.
type progressWriter struct {
	w      io.Writer
	n      int64
	report func(Progress)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.report != nil && n > 0 {
		p.report(Progress{Bytes: p.n})
	}
	return n, err
}
