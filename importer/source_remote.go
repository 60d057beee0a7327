package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A remote source (remoteSource) reads over the network. Its File.Name is the file's URL with secrets redacted, and
// what the logs, the ledger and the reject files name it by. Its Open
// streams the file from the server; an import spools that once (see
// spool) and reads the copy in every pass.

// SourceError is a remote source that failed, said so that an operator
// can act on it: the problem, a hint, and whether a later attempt may go
// better (the daemon retries those, as it does an unreachable database).
type SourceError struct {
	// URL is the file or source that failed, redacted.
	URL     string
	Problem string
	Hint    string
	// Retry is a failure a later attempt may not meet: the server
	// unreachable, a download cut off, a file changed while it was read.
	Retry bool
	Err   error
}

func (e *SourceError) Error() string {
	msg := e.URL + ": " + e.Problem
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	if e.Err != nil {
		msg += " (" + scrubError(e.Err) + ")"
	}
	return msg
}

func (e *SourceError) Unwrap() error { return e.Err }

// Retryable reports whether err is a remote source's failure that a
// later attempt may not meet. A missing file, a refused login or an
// unknown host key stay as they are until someone acts.
func Retryable(err error) bool {
	var se *SourceError
	return errors.As(err, &se) && se.Retry
}

// unreachableError is a server that could not be reached or went away.
func unreachableError(name string, err error) *SourceError {
	return &SourceError{URL: name, Problem: "cannot reach the server", Retry: true, Err: err,
		Hint: "check the host name, the port and that this machine may connect to it; the daemon retries"}
}

// scrubError is err's text without a URL's secrets: net/http and the AWS
// SDK quote the URL they were asked for.
func scrubError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %s: %s", ue.Op, redactURL(ue.URL), scrubError(ue.Err))
	}
	return urlInText.ReplaceAllStringFunc(err.Error(), redactURL)
}

var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"']+`)

// secretParam is a query parameter whose value is a credential: tokens,
// keys, signatures (a pre-signed S3 URL's X-Amz-Signature), passwords.
var secretParam = regexp.MustCompile(`(?i)token|key|sig|secret|pass|auth|credential|session|code`)

// redactURL hides the password of raw's user info and the values of
// query parameters that look like credentials.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
			return raw[:i+3] + "xxxxx" + raw[j:]
		}
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok && secretParam.MatchString(k) {
				parts[i] = k + "=xxxxx"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

// version is how the ledger tells one state of a remote file from
// another without its bytes: the server's ETag, else its mtime.
func version(f File) string {
	switch {
	case f.ETag != "":
		return f.ETag
	case !f.ModTime.IsZero():
		return "mtime:" + f.ModTime.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// remoteSource is a Source whose files are on a server: an import
// downloads each one once (see spool), and may skip one by its listing
// alone. Said by each kind, not inferred from a Source not being a
// LocalSource: a wrapper around a local source (a test's) is no server.
type remoteSource interface {
	Source
	remote()
}

var (
	_ remoteSource = (*httpSource)(nil)
	_ remoteSource = (*s3Source)(nil)
	_ remoteSource = (*sftpSource)(nil)
	_ remoteSource = (*multiSource)(nil)
)

// isRemote reports whether src's files are on a server.
func isRemote(src Source) bool {
	_, ok := src.(remoteSource)
	return ok
}

func (*httpSource) remote()  {}
func (*s3Source) remote()    {}
func (*sftpSource) remote()  {}
func (*multiSource) remote() {}

// multiSource is source.paths: several remote sources, listed in the
// order given.
type multiSource struct{ srcs []Source }

// List lists each source in turn. A single-file source (a URL) that
// cannot be listed is still listed, as a file of unknown size: its
// download then fails with its own run, and the files beside it are
// imported, as they would be from a folder.
func (m *multiSource) List(ctx context.Context) ([]File, error) {
	var files []File
	for _, s := range m.srcs {
		fs, err := s.List(ctx)
		if one, ok := s.(interface{ unlisted() File }); ok && err != nil && ctx.Err() == nil {
			fs, err = []File{one.unlisted()}, nil
		}
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	return files, nil
}

func (m *multiSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	for _, s := range m.srcs {
		if o, ok := s.(interface{ owns(File) bool }); ok && o.owns(f) {
			return s.Open(ctx, f)
		}
	}
	return nil, fmt.Errorf("%s is not one of source.paths", f.Name)
}

func (m *multiSource) String() string {
	names := make([]string, len(m.srcs))
	for i, s := range m.srcs {
		names[i] = s.String()
	}
	return strings.Join(names, ", ")
}

// ledgerSource is what the ledger records as f's source: the one of
// source.paths it came from, or the job's source; cut to the ledger
// column's 2,048 characters.
func ledgerSource(src Source, f File) string {
	name := src.String()
	if m, ok := src.(*multiSource); ok {
		for _, s := range m.srcs {
			if o, ok := s.(interface{ owns(File) bool }); ok && o.owns(f) {
				name = s.String()
			}
		}
	}
	if r := []rune(name); len(r) > 2048 {
		name = string(r[:2048])
	}
	return name
}

// LocalPaths are the local files the remote sources read (keys, known
// hosts): a sandbox must leave them readable.
func (m *multiSource) LocalPaths() []string {
	var paths []string
	for _, s := range m.srcs {
		if lp, ok := s.(interface{ LocalPaths() []string }); ok {
			paths = append(paths, lp.LocalPaths()...)
		}
	}
	return slices.Compact(paths)
}
