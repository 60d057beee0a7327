package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// File is one file a Source lists.
type File struct {
	// Name is what the ledger, the logs and the reject files call the
	// file: for a local file its absolute path.
	Name    string
	Size    int64
	ModTime time.Time
	// ETag is the server's version of a remote file; empty for a local one.
	ETag string
}

// Source lists a job's files and opens them. It is the only way the
// importer reaches a file, so a new kind of source (HTTP, S3, SFTP) is one
// new implementation and nothing else.
//
// Open returns the same bytes every time: an import reads a file more
// than once (checksum, key scan, load) and checks that the checksum did
// not change. A remote source may download the file once to a temporary
// file and hand back readers of that. Readers stop with ctx's error once
// ctx is done, so a cancelled import never waits for the rest of a file.
type Source interface {
	// List returns the files in name order; no file is not an error.
	List(ctx context.Context) ([]File, error)
	Open(ctx context.Context, f File) (io.ReadCloser, error)
	// String names the source for logs, sluice check and the ledger;
	// it never holds a secret.
	String() string
}

// LocalSource is a Source on this machine's file system; Dirs are the
// folders it reads, which a sandbox (sluice systemd) must leave readable.
// A Source that is not local reads over the network.
type LocalSource interface {
	Source
	Dirs() []string
}

var (
	_ LocalSource = (*globSource)(nil)
	_ LocalSource = (*fileList)(nil)
)

// newSource compiles source.path (or each of source.paths) into the job's
// Source, rewriting them as the config now shows them: a relative path
// made absolute against dir, a URL with its secrets redacted. On error it
// names the field at fault.
func newSource(s *SourceConfig, dir string) (Source, string, error) {
	src, field, err := newSources(s, dir)
	if err != nil {
		return nil, field, err
	}
	// Options of a kind no path is: a typo or a leftover, which would
	// otherwise be ignored without a word.
	kinds := map[string]bool{}
	for _, p := range append([]string{s.Path}, s.Paths...) {
		k, _ := remoteScheme(p)
		kinds[strings.TrimSuffix(k, "s")] = true // https counts as http
	}
	switch {
	case s.HTTP != nil && !kinds["http"]:
		return nil, "source.http", fmt.Errorf("applies to http:// and https:// sources only")
	case s.SFTP != nil && !kinds["sftp"]:
		return nil, "source.sftp", fmt.Errorf("applies to sftp:// sources only")
	}
	return src, "", nil
}

func newSources(s *SourceConfig, dir string) (Source, string, error) {
	if len(s.Paths) > 0 {
		if s.Path != "" {
			return nil, "source.paths", fmt.Errorf("set source.path or source.paths, not both")
		}
		srcs := make([]Source, len(s.Paths))
		for i, p := range s.Paths {
			field := fmt.Sprintf("source.paths[%d]", i)
			if _, ok := remoteScheme(p); !ok {
				return nil, field, fmt.Errorf("%q is not a URL; source.paths lists remote files (https://, s3://, sftp://), local ones are a glob in source.path", p)
			}
			src, shown, err := newPathSource(p, s, dir)
			if err != nil {
				return nil, field, err
			}
			srcs[i], s.Paths[i] = src, shown
		}
		return &multiSource{srcs: srcs}, "", nil
	}
	if s.Path == "" {
		return nil, "source.path", fmt.Errorf("is empty (a file or glob such as data/socks-*.csv, or a URL)")
	}
	src, shown, err := newPathSource(s.Path, s, dir)
	if err != nil {
		return nil, "source.path", err
	}
	s.Path = shown
	return src, "", nil
}

// newPathSource compiles one path. A URL names a remote store by its
// scheme (see remoteKinds); anything else is a local file or glob.
func newPathSource(path string, s *SourceConfig, dir string) (Source, string, error) {
	if scheme, ok := remoteScheme(path); ok {
		if scheme == "file" {
			path = strings.TrimPrefix(path[len(scheme)+3:], "localhost")
		} else {
			open, known := remoteKinds[scheme]
			if !known {
				return nil, "", fmt.Errorf("%q: sluice does not read %s:// sources (it reads local files, https://, s3:// and sftp://)", redactURL(path), scheme)
			}
			u, err := url.Parse(path)
			if err != nil {
				return nil, "", fmt.Errorf("%q is not a valid URL", redactURL(path))
			}
			src, err := open(u, s, dir)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", redactURL(path), err)
			}
			return src, src.String(), nil
		}
	}
	if _, err := filepath.Match(path, ""); err != nil {
		return nil, "", fmt.Errorf("bad glob %q: %v", path, err)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return newGlobSource(path), path, nil
}

// remoteOpener compiles a URL of its scheme into a Source; s is the
// job's source: block (its kind's options) and dir the config's folder.
type remoteOpener func(u *url.URL, s *SourceConfig, dir string) (Source, error)

// remoteKinds maps a URL scheme to its kind of source. Each kind's file
// (source_http.go, source_s3.go, source_sftp.go) registers itself in
// init, as litestream's replica clients do: a new kind touches nothing
// else.
var remoteKinds = map[string]remoteOpener{}

// remoteScheme returns path's URL scheme, lower case, if it has one.
func remoteScheme(path string) (string, bool) {
	scheme, _, ok := strings.Cut(path, "://")
	if !ok || !urlScheme(scheme) {
		return "", false
	}
	return strings.ToLower(scheme), true
}

// urlScheme reports whether s can be a URL's scheme (RFC 3986): a letter,
// then letters, digits, + - and . ; a Windows drive letter cannot.
func urlScheme(s string) bool {
	if len(s) < 2 || !unicode.IsLetter(rune(s[0])) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r >= utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '-' || r == '.')
	})
}

// globSource is source.path: the local files a glob matches.
type globSource struct{ pattern string }

func newGlobSource(pattern string) *globSource { return &globSource{pattern: pattern} }

func (s *globSource) List(ctx context.Context) ([]File, error) {
	paths, err := filepath.Glob(s.pattern)
	if err != nil {
		return nil, fmt.Errorf("source.path %q: %w", s.pattern, err)
	}
	slices.Sort(paths)
	return statFiles(ctx, paths)
}

func (s *globSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	return openLocal(ctx, f.Name)
}

func (s *globSource) String() string { return s.pattern }

// Dirs is the glob's longest leading part without glob characters.
func (s *globSource) Dirs() []string {
	dir := filepath.Dir(s.pattern)
	for strings.ContainsAny(dir, `*?[\`) {
		dir = filepath.Dir(dir)
	}
	return []string{dir}
}

// emptyReason says why a source that listed nothing did, when it can tell:
// a local folder that is not there.
func emptyReason(src Source) string {
	local, ok := src.(LocalSource)
	if !ok {
		return ""
	}
	for _, d := range local.Dirs() {
		if st, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("the folder %s does not exist", d)
		} else if err == nil && !st.IsDir() {
			return fmt.Sprintf("%s is not a folder", d)
		}
	}
	return ""
}

// fileList is files named on the command line, in the order given.
type fileList struct{ paths []string }

// newFileList makes paths absolute: the ledger and the logs name files
// absolutely, since a timer and a person start from different folders.
func newFileList(paths []string) *fileList {
	abs := make([]string, len(paths))
	for i, p := range paths {
		abs[i] = p
		if a, err := filepath.Abs(p); err == nil {
			abs[i] = a
		}
	}
	return &fileList{paths: abs}
}

func (s *fileList) List(ctx context.Context) ([]File, error) { return statFiles(ctx, s.paths) }

func (s *fileList) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	return openLocal(ctx, f.Name)
}

func (s *fileList) String() string { return strings.Join(s.paths, ", ") }

func (s *fileList) Dirs() []string {
	dirs := make([]string, len(s.paths))
	for i, p := range s.paths {
		dirs[i] = filepath.Dir(p)
	}
	return dirs
}

// statFiles describes local files. One that cannot be read is still
// listed, by name: its import then fails saying why, where it is seen.
func statFiles(ctx context.Context, paths []string) ([]File, error) {
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := File{Name: p}
		if st, err := os.Stat(p); err == nil {
			f.Size, f.ModTime = st.Size(), st.ModTime()
		}
		files = append(files, f)
	}
	return files, nil
}

func openLocal(ctx context.Context, path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, safePathError(err) // a *PathError: it names the file
	}
	return &ctxReader{ctx: ctx, r: f}, nil
}

// ctxReader stops reading once ctx is done. Callers read through 64 KiB
// buffers or less, so a cancelled import stops within one of them.
type ctxReader struct {
	ctx context.Context
	r   io.ReadCloser
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) Close() error { return c.r.Close() }

// checksum returns the file's size and SHA-256, the ledger's identity of a
// file: a renamed dump is still the same dump.
func checksum(ctx context.Context, src Source, f File) (int64, string, error) {
	r, err := src.Open(ctx, f)
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return 0, "", readError(f.Name, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// readError names the file a read failed on, unless the error does.
func readError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return safePathError(err)
	}
	return fmt.Errorf("read %s: %w", SafeName(name), err)
}
