package importer

import (
	"context"
	"io"
)

// The passes an import makes over a file, in order, as Progress.Pass names
// them: the checksum (the ledger's skip), the key scan (only into a table
// that has rows) and the load. A big file spends seconds in the first two
// before a row is loaded, so they report too.
const (
	PassDownload = "download" // a remote file, fetched once into a temporary file
	PassChecksum = "checksum"
	PassKeys     = "keys"
	PassLoad     = "load"
)

// progressStep is how many bytes a checksum or key pass reads between
// reports: a hundred or so for a 130 MB file.
const progressStep = 1 << 20

// progressReport passes one file's progress on to Config.Progress, under
// the pass it is in. Its zero value (nobody listens) does nothing.
type progressReport struct {
	fn   func(Progress)
	pass string
}

// startProgress starts reporting f's progress, before its first pass.
func (im *Importer) startProgress(f File) *progressReport {
	r := &progressReport{}
	if im.cfg.Progress != nil {
		r.fn = im.cfg.Progress(f.Name, f.Size)
	}
	return r
}

// begin starts a pass, reporting it at once: a listener learns which pass
// is under way before its first byte.
func (r *progressReport) begin(pass string) {
	r.pass = pass
	r.report(Progress{})
}

func (r *progressReport) report(p Progress) {
	if r.fn != nil {
		p.Pass = r.pass
		r.fn(p)
	}
}

// source wraps src so that the checksum and key passes report the bytes
// they read; the load reports its rows and bytes itself (see producer).
func (r *progressReport) source(src Source) Source {
	if r.fn == nil {
		return src
	}
	return &progressSource{Source: src, r: r}
}

type progressSource struct {
	Source
	r *progressReport
}

func (s *progressSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	rc, err := s.Source.Open(ctx, f)
	if err != nil || s.r.pass == PassLoad {
		return rc, err
	}
	return &progressReader{ReadCloser: rc, r: s.r, pass: s.r.pass}, nil
}

// progressReader reports every progressStep bytes read and at the end,
// while its pass is the current one.
type progressReader struct {
	io.ReadCloser
	r       *progressReport
	pass    string
	n, next int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	p.n += int64(n)
	if (p.n >= p.next || err == io.EOF) && p.r.pass == p.pass {
		p.r.report(Progress{Bytes: p.n})
		p.next = p.n + progressStep
	}
	return n, err
}
