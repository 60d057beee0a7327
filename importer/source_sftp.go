package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SFTPConfig is source.sftp: how sluice logs in. With no key_file it
// asks the SSH agent at SSH_AUTH_SOCK. The server's host key is always
// checked against known_hosts (~/.ssh/known_hosts unless set).
type SFTPConfig struct {
	KeyFile    string `yaml:"key_file"`
	KnownHosts string `yaml:"known_hosts"`
}

func init() { remoteKinds["sftp"] = newSFTPSource }

// sftpSource is the files an sftp://user@host:port/dir/glob URL matches,
// in name order.
type sftpSource struct {
	user, addr string // addr is host:port
	pattern    string // an absolute path, globbing in any part
	keyFile    string
	knownHosts string
	name       string // the URL, shown
}

var _ Source = (*sftpSource)(nil)

func newSFTPSource(u *url.URL, s *SourceConfig, dir string) (Source, error) {
	if _, has := u.User.Password(); has {
		return nil, errors.New("a password in the URL is not taken: log in with a key (source.sftp.key_file, or an agent at SSH_AUTH_SOCK)")
	}
	if u.Hostname() == "" || u.Path == "" || u.Path == "/" {
		return nil, errors.New("want sftp://user@host:port/folder/files-*.csv")
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("an sftp:// URL takes no options (%s): they go in source.sftp", u.RawQuery)
	}
	if _, err := path.Match(u.Path, ""); err != nil {
		return nil, fmt.Errorf("bad glob %q: %v", u.Path, err)
	}
	src := &sftpSource{user: u.User.Username(), addr: u.Host, pattern: u.Path}
	if u.Port() == "" {
		src.addr = net.JoinHostPort(u.Hostname(), "22")
	}
	if src.user == "" {
		src.user = os.Getenv("USER")
	}
	resolve := func(p string) string {
		if p != "" && !filepath.IsAbs(p) {
			return filepath.Join(dir, p)
		}
		return p
	}
	if s.SFTP != nil {
		src.keyFile, src.knownHosts = resolve(s.SFTP.KeyFile), resolve(s.SFTP.KnownHosts)
	}
	if src.knownHosts == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no source.sftp.known_hosts and no home folder for ~/.ssh/known_hosts: %v", err)
		}
		src.knownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	src.name = src.fileName(src.pattern)
	return src, nil
}

func (s *sftpSource) String() string { return s.name }

// fileName is the URL of the file at p, written as given (a glob's *
// unescaped).
func (s *sftpSource) fileName(p string) string {
	return "sftp://" + url.User(s.user).String() + "@" + s.addr + p
}

func (s *sftpSource) owns(f File) bool {
	p, ok := s.remotePath(f)
	if !ok {
		return false
	}
	m, _ := path.Match(s.pattern, p)
	return m
}

func (s *sftpSource) remotePath(f File) (string, bool) {
	return strings.CutPrefix(f.Name, "sftp://"+url.User(s.user).String()+"@"+s.addr)
}

// LocalPaths are the key and known_hosts files, which a sandbox must
// leave readable.
func (s *sftpSource) LocalPaths() []string {
	var paths []string
	for _, p := range []string{s.keyFile, s.knownHosts} {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

func (s *sftpSource) List(ctx context.Context) ([]File, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	matches, err := c.sftp.Glob(s.pattern)
	if err != nil {
		return nil, s.fsError(s.name, err)
	}
	slices.Sort(matches)
	var files []File
	for _, m := range matches {
		st, err := c.sftp.Stat(m)
		if err != nil {
			return nil, s.fsError(s.fileName(m), err)
		}
		if st.Mode().IsRegular() {
			files = append(files, File{Name: s.fileName(m), Size: st.Size(), ModTime: st.ModTime()})
		}
	}
	if len(files) == 0 {
		// Say a missing folder plainly, as a local source does.
		if _, err := c.sftp.Stat(globDir(s.pattern)); err != nil {
			return nil, s.fsError(s.fileName(globDir(s.pattern)), err)
		}
	}
	return files, nil
}

// Open reads the file on its own connection, after checking it is still
// the size and age listed; the spool's length check catches a change
// while it is read.
func (s *sftpSource) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	p, ok := s.remotePath(f)
	if !ok {
		return nil, fmt.Errorf("%s is not a file of %s", f.Name, s.name)
	}
	c, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	file, err := c.sftp.Open(p)
	if err != nil {
		c.Close()
		return nil, s.fsError(f.Name, err)
	}
	st, err := file.Stat()
	if err == nil && (st.Size() != f.Size || !st.ModTime().Equal(f.ModTime)) {
		err = changedError(f.Name)
	}
	if err != nil {
		file.Close()
		c.Close()
		return nil, err
	}
	// ctx ending closes the connection, which stops a read under way;
	// the reader keeps sftp.File's WriteTo, which reads ahead with
	// several requests in flight (a link's latency paid once, not per
	// 32 KiB).
	stop := context.AfterFunc(ctx, c.Close)
	return &sftpFile{File: file, conn: c, stop: stop, ctx: ctx}, nil
}

// sftpFile closes its connection with it.
type sftpFile struct {
	*sftp.File
	conn *sftpConn
	stop func() bool
	ctx  context.Context
}

func (f *sftpFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if err != nil && f.ctx.Err() != nil {
		err = f.ctx.Err()
	}
	return n, err
}

func (f *sftpFile) WriteTo(w io.Writer) (int64, error) {
	n, err := f.File.WriteTo(w)
	if err != nil && f.ctx.Err() != nil {
		err = f.ctx.Err()
	}
	return n, err
}

func (f *sftpFile) Close() error {
	f.stop()
	err := f.File.Close()
	f.conn.Close()
	return err
}

type sftpConn struct {
	ssh  *ssh.Client
	sftp *sftp.Client
	once sync.Once
}

// Close may be called twice: by the reader and by its context's end.
func (c *sftpConn) Close() {
	c.once.Do(func() {
		c.sftp.Close()
		c.ssh.Close()
	})
}

// dial logs in over SSH, checking the host key, and starts SFTP.
func (s *sftpSource) dial(ctx context.Context) (*sftpConn, error) {
	hostKeys, err := s.hostKeyCallback()
	if err != nil {
		return nil, err
	}
	auth, closeAgent, err := s.auth()
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	d := net.Dialer{Timeout: time.Minute}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unreachableError(s.name, err)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	cfg := &ssh.ClientConfig{User: s.user, Auth: auth, HostKeyCallback: hostKeys, Timeout: time.Minute}
	conn, chans, reqs, err := ssh.NewClientConn(raw, s.addr, cfg)
	if err != nil {
		raw.Close()
		return nil, s.loginError(err)
	}
	client := ssh.NewClient(conn, chans, reqs)
	sc, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, &SourceError{URL: s.name, Problem: "the server does not serve SFTP", Err: err,
			Hint: "the account may be limited to a shell or to scp; ask for the sftp subsystem"}
	}
	return &sftpConn{ssh: client, sftp: sc}, nil
}

// hostKeyError is a host key known_hosts lacks or contradicts.
type hostKeyError struct{ msg string }

func (e *hostKeyError) Error() string { return e.msg }

// hostKeyCallback checks the server's key against known_hosts; an unknown
// host fails with the line to add, a changed key fails louder.
func (s *sftpSource) hostKeyCallback() (ssh.HostKeyCallback, error) {
	check, err := knownhosts.New(s.knownHosts)
	if err != nil {
		return nil, &SourceError{URL: s.name, Problem: "cannot read known_hosts " + s.knownHosts, Err: err,
			Hint: "the server's host key is always checked: set source.sftp.known_hosts to a file holding it (ssh-keyscan writes one; check its fingerprint with the server's owner)"}
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := check(host, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return &hostKeyError{fmt.Sprintf("the host key of %s is not in %s: its %s fingerprint is %s; if the server's owner confirms it, add this line to %s:\n%s",
				s.addr, s.knownHosts, key.Type(), ssh.FingerprintSHA256(key), s.knownHosts,
				knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, key))}
		case errors.As(err, &ke):
			return &hostKeyError{fmt.Sprintf("the host key of %s (%s %s) is NOT the one %s holds (line %d): someone may be in the middle, or the server was reinstalled; ask its owner before changing %s",
				s.addr, key.Type(), ssh.FingerprintSHA256(key), s.knownHosts, ke.Want[0].Line, s.knownHosts)}
		}
		return err
	}, nil
}

// auth is the key file, or else the agent's keys.
func (s *sftpSource) auth() ([]ssh.AuthMethod, func(), error) {
	if s.keyFile != "" {
		pem, err := os.ReadFile(s.keyFile)
		if err != nil {
			return nil, nil, &SourceError{URL: s.name, Problem: "cannot read source.sftp.key_file", Err: err,
				Hint: "the private key must be readable by the user sluice runs as"}
		}
		signer, err := ssh.ParsePrivateKey(pem)
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil, nil, &SourceError{URL: s.name, Problem: "source.sftp.key_file " + s.keyFile + " needs a passphrase",
				Hint: "load it into an SSH agent (ssh-add) and leave key_file out, so sluice asks the agent at SSH_AUTH_SOCK"}
		}
		if err != nil {
			return nil, nil, &SourceError{URL: s.name, Problem: "source.sftp.key_file " + s.keyFile + " is not a private key", Err: err,
				Hint: "give the private key (id_ed25519), not the .pub"}
		}
		return []ssh.AuthMethod{ssh.PublicKeys(signer)}, func() {}, nil
	}
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, nil, &SourceError{URL: s.name, Problem: "no key to log in with",
			Hint: "set source.sftp.key_file to a private key, or run sluice with an SSH agent (SSH_AUTH_SOCK)"}
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, nil, &SourceError{URL: s.name, Problem: "cannot reach the SSH agent at SSH_AUTH_SOCK", Err: err,
			Hint: "start the agent, or set source.sftp.key_file"}
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(agent.NewClient(conn).Signers)}, func() { conn.Close() }, nil
}

// loginError says why the SSH handshake failed.
func (s *sftpSource) loginError(err error) error {
	var hk *hostKeyError
	switch {
	case errors.As(err, &hk):
		return &SourceError{URL: s.name, Problem: hk.msg}
	case strings.Contains(err.Error(), "unable to authenticate"):
		return &SourceError{URL: s.name, Problem: "the server refused the login of " + s.user, Err: err,
			Hint: "check the user in the URL and that the server has the public key of source.sftp.key_file (or the agent's) in authorized_keys"}
	}
	return unreachableError(s.name, err)
}

// fsError says what a failed SFTP file operation means.
func (s *sftpSource) fsError(name string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &SourceError{URL: name, Problem: "no such file or folder on the server", Err: err, Hint: "check the path in source.path"}
	case errors.Is(err, os.ErrPermission):
		return &SourceError{URL: name, Problem: "permission denied", Err: err, Hint: "the account " + s.user + " may not read it: ask the server's owner"}
	}
	var st *sftp.StatusError
	if errors.As(err, &st) {
		return &SourceError{URL: name, Problem: "the server refused the request", Err: err, Hint: "see its answer; ask the server's owner"}
	}
	return unreachableError(name, err)
}

// globDir is the longest leading folder of pattern without glob
// characters.
func globDir(pattern string) string {
	dir := path.Dir(pattern)
	for strings.ContainsAny(dir, `*?[\`) {
		dir = path.Dir(dir)
	}
	return dir
}
