package remotetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SFTP is an SSH server on loopback that serves the machine's file
// system read-only over SFTP to one user with one key.
type SFTP struct {
	Addr string // 127.0.0.1:port
	User string
	// KeyFile is the client's private key, KnownHosts a known_hosts file
	// holding the server's host key; WrongKeyFile is a key the server
	// does not take, and EmptyKnownHosts a known_hosts without it.
	KeyFile, WrongKeyFile, KnownHosts, EmptyKnownHosts string
	HostKey                                            ssh.PublicKey
	// BeforeOpen, when set, runs before a file is opened for reading.
	BeforeOpen func(path string)
	opens      counter
	cut        cutoffs
	denied     cutoffs // paths it may not read
}

// NewSFTP starts the server until the test ends; its key files go in a
// temporary folder.
func NewSFTP(t testing.TB) *SFTP {
	t.Helper()
	dir := t.TempDir()
	s := &SFTP{User: "supplier"}
	hostSigner := newSigner(t, "")
	clientSigner := newSigner(t, filepath.Join(dir, "id_ed25519"))
	newSigner(t, filepath.Join(dir, "id_other"))
	s.KeyFile, s.WrongKeyFile = filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "id_other")
	s.HostKey = hostSigner.PublicKey()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if c.User() == s.User && string(key.Marshal()) == string(clientSigner.PublicKey().Marshal()) {
			return nil, nil
		}
		return nil, errors.New("key not authorized")
	}}
	cfg.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.KnownHosts, s.EmptyKnownHosts = filepath.Join(dir, "known_hosts"), filepath.Join(dir, "known_hosts.empty")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey) + "\n"
	writeFile(t, s.KnownHosts, line)
	writeFile(t, s.EmptyKnownHosts, "")
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serveConn(c, cfg) })
		}
	})
	return s
}

// Opens is how many files the server opened for reading.
func (s *SFTP) Opens() int { return s.opens.total() }

// Deny makes opening path fail with permission denied (the server runs
// as root here, which file modes do not stop).
func (s *SFTP) Deny(path string) { s.denied.set(path, 0) }

// CutOff makes reads of path fail after n bytes.
func (s *SFTP) CutOff(path string, n int64) { s.cut.set(path, n) }

func (s *SFTP) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, reqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range reqs {
				ok := r.Type == "subsystem" && len(r.Payload) > 4 && string(r.Payload[4:]) == "sftp"
				r.Reply(ok, nil)
				if ok {
					h := handlers{s: s}
					srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
					srv.Serve()
					srv.Close()
					ch.Close()
				}
			}
		}()
	}
}

// handlers serve the local file system read-only, counting opens.
type handlers struct{ s *SFTP }

func (h handlers) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	h.s.opens.add(r.Filepath)
	if h.s.BeforeOpen != nil {
		h.s.BeforeOpen(r.Filepath)
	}
	if _, no := h.s.denied.get(r.Filepath); no {
		return nil, sftp.ErrSSHFxPermissionDenied // what OpenSSH's sftp-server answers for EACCES
	}
	f, err := os.Open(r.Filepath)
	if err != nil {
		return nil, err
	}
	if n, ok := h.s.cut.get(r.Filepath); ok {
		return &cutReaderAt{f: f, limit: n}, nil
	}
	return f, nil
}

func (h handlers) Filewrite(*sftp.Request) (io.WriterAt, error) {
	return nil, sftp.ErrSSHFxPermissionDenied
}
func (h handlers) Filecmd(*sftp.Request) error { return sftp.ErrSSHFxPermissionDenied }

func (h handlers) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		entries, err := os.ReadDir(r.Filepath)
		if err != nil {
			return nil, err
		}
		infos := make([]os.FileInfo, 0, len(entries))
		for _, e := range entries {
			if fi, err := e.Info(); err == nil {
				infos = append(infos, fi)
			}
		}
		return lister(infos), nil
	default: // Stat, Lstat
		fi, err := os.Stat(r.Filepath)
		if err != nil {
			return nil, err
		}
		return lister{fi}, nil
	}
}

type lister []os.FileInfo

func (l lister) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n+int(off) >= len(l) {
		return n, io.EOF
	}
	return n, nil
}

// cutReaderAt fails reads past limit, as a server whose disk or link
// broke would.
type cutReaderAt struct {
	f     *os.File
	limit int64
}

func (c *cutReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.limit {
		return 0, errors.New("connection lost")
	}
	if off+int64(len(p)) > c.limit {
		p = p[:c.limit-off]
	}
	return c.f.ReadAt(p, off)
}

func (c *cutReaderAt) Close() error { return c.f.Close() }

// newSigner makes an ed25519 key, written to path in OpenSSH form when
// path is set.
func newSigner(t testing.TB, path string) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if path != "" {
		block, err := ssh.MarshalPrivateKey(priv, "")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, string(pem.EncodeToMemory(block)))
	}
	return signer
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
