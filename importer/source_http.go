package importer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPConfig is source.http: request headers for every URL of the job,
// for a token: write the value as ${VARIABLE} and it comes from the
// environment, never from the config file.
type HTTPConfig struct {
	Headers secretHeaders `yaml:"headers"`
}

// secretHeaders are header values; they never show in the config as
// sluice prints it.
type secretHeaders map[string]string

func (h secretHeaders) MarshalYAML() (any, error) {
	out := make(map[string]string, len(h))
	for k := range h {
		out[k] = "xxxxx"
	}
	return out, nil
}

func init() {
	remoteKinds["http"] = newHTTPSource
	remoteKinds["https"] = newHTTPSource
}

// httpSource is one file at an http:// or https:// URL. The server's
// HEAD answer lists it (size, ETag, Last-Modified); GET fetches it, on
// condition that it is still that version.
type httpSource struct {
	url    string // as configured, secrets and all: only ever sent
	name   string // redacted
	header http.Header
	client *http.Client
}

var _ Source = (*httpSource)(nil)

func newHTTPSource(u *url.URL, s *SourceConfig, _ string) (Source, error) {
	if u.Host == "" {
		return nil, errors.New("the URL names no host")
	}
	if strings.ContainsAny(u.Path, "*?[") {
		return nil, errors.New("an HTTP server lists no folder, so a glob cannot match: name each file (source.paths: [...] for several)")
	}
	h := http.Header{}
	if s.HTTP != nil {
		for k, v := range s.HTTP.Headers {
			h.Set(k, v)
		}
	}
	// The bytes as the server has them: a .csv.gz stays gzip for the
	// reader, and the length is the one HEAD said.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	// A server that takes the connection and never answers fails the run
	// rather than holding the job's lock forever.
	tr.ResponseHeaderTimeout = time.Minute
	return &httpSource{url: u.String(), name: redactURL(u.String()), header: h,
		client: &http.Client{Transport: tr}}, nil
}

func (s *httpSource) String() string   { return s.name }
func (s *httpSource) owns(f File) bool { return f.Name == s.name }

// unlisted is the file, when its server answers no listing (see
// multiSource.List).
func (s *httpSource) unlisted() File { return File{Name: s.name, Size: -1} }

func (s *httpSource) List(ctx context.Context) ([]File, error) {
	resp, err := s.do(ctx, http.MethodHead, nil)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	f := File{Name: s.name, Size: -1, ETag: resp.Header.Get("ETag")}
	switch {
	case resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented:
		return []File{f}, nil // no HEAD: the file is fetched and known by its checksum
	case resp.StatusCode != http.StatusOK:
		return nil, s.statusError(resp)
	}
	f.Size = resp.ContentLength
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		f.ModTime = t
	}
	return []File{f}, nil
}

// Open fetches the file, if it is still the version listed: a strong
// ETag must match (If-Match), else it must not be newer (If-Unmodified-
// Since). A server that ignores both is caught by the ETag it answers
// with, or by the length.
func (s *httpSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	cond := http.Header{}
	switch {
	case f.ETag != "" && !strings.HasPrefix(f.ETag, "W/"):
		cond.Set("If-Match", f.ETag)
	case !f.ModTime.IsZero():
		cond.Set("If-Unmodified-Since", f.ModTime.UTC().Format(http.TimeFormat))
	}
	resp, err := s.do(ctx, http.MethodGet, cond)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, s.statusError(resp)
	}
	if etag := resp.Header.Get("ETag"); f.ETag != "" && etag != "" && etag != f.ETag {
		resp.Body.Close()
		return nil, changedError(s.name)
	}
	return &ctxReader{ctx: ctx, r: resp.Body}, nil
}

func (s *httpSource) do(ctx context.Context, method string, extra http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", s.name, scrubError(err))
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	var cert *tls.CertificateVerificationError
	switch {
	case err == nil:
		return resp, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &cert):
		return nil, &SourceError{URL: s.name, Problem: "the server's TLS certificate is not trusted", Err: cert.Err,
			Hint: "it is not signed by a CA this machine trusts, or is for another host name; add its CA to the system's (SSL_CERT_FILE names a bundle)"}
	}
	return nil, unreachableError(s.name, err)
}

// statusError says what an HTTP status means for the import.
func (s *httpSource) statusError(resp *http.Response) error {
	e := &SourceError{URL: s.name, Problem: "the server answered " + resp.Status}
	switch c := resp.StatusCode; {
	case c == http.StatusNotFound || c == http.StatusGone:
		e.Hint = "no file at that URL (yet): check source.path; a file not published yet is fetched by a later run"
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		e.Hint = "the server refused the credentials: check the token in source.http.headers (and the variable it comes from)"
	case c == http.StatusPreconditionFailed:
		return changedError(s.name)
	case c == http.StatusTooManyRequests || c >= 500:
		e.Hint, e.Retry = "the server is busy or failing; the daemon retries", true
	default:
		e.Hint = "the URL does not serve the file"
	}
	return e
}

// changedError is a remote file that changed between its listing and its
// download: its bytes are not the version the ledger would record.
func changedError(name string) *SourceError {
	return &SourceError{URL: name, Problem: "the file changed on the server during the import", Retry: true,
		Hint: "it is probably still being written; nothing was imported, the next run takes the new version"}
}
