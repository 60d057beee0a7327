package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// newSource compiles source.path into its Source, and returns the path
// as the config now holds it (a relative one made absolute against dir).
// A URL names a remote store by its scheme; anything else is a local file
// or glob.
func newSource(path, dir string) (Source, string, error) {
	if scheme, _, ok := strings.Cut(path, "://"); ok && urlScheme(scheme) {
		switch strings.ToLower(scheme) {
		case "file":
			path = strings.TrimPrefix(path[len(scheme)+3:], "localhost")
		default:
			return nil, "", fmt.Errorf("%q: sluice does not read %s:// sources (only local files: a path or a glob such as data/socks-*.csv)", path, scheme)
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
