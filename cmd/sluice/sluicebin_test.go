package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// shared is a folder for what the tests of one `go test` run make once and
// share: the sluice binary and large generated dumps. TestMain removes it.
var shared struct {
	once sync.Once
	dir  string
	err  error
}

func sharedDir() (string, error) {
	shared.once.Do(func() { shared.dir, shared.err = os.MkdirTemp("", "sluice-cmd-test-") })
	return shared.dir, shared.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// builtSluice is the binary built from this package, once per run.
var builtSluice = sync.OnceValues(func() (string, error) {
	dir, err := sharedDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "sluice")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// buildSluice returns the path of the real sluice binary. Tests that run
// it skip under -short.
func buildSluice(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := builtSluice()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// procTimeout bounds every sluice process a test starts, so a hang (a lock
// never released, a server that stops answering) fails the test instead
// of blocking the run.
const procTimeout = 2 * time.Minute

// sluiceCmd runs the binary as a user would: in dir, with DATABASE_URL set
// to databaseURL (or unset when it is empty). The machine's own
// DATABASE_URL and SLUICE_CONFIG never leak in; PWD follows dir so paths
// print relative to it.
type sluiceCmd struct {
	bin, dir string
	env      []string
}

func newSluiceCmd(bin, dir, databaseURL string) *sluiceCmd {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "DATABASE_URL" && name != "SLUICE_CONFIG" && name != "PWD" {
			env = append(env, kv)
		}
	}
	env = append(env, "PWD="+dir)
	if databaseURL != "" {
		env = append(env, "DATABASE_URL="+databaseURL)
	}
	return &sluiceCmd{bin: bin, dir: dir, env: env}
}

// proc is a started sluice process.
type proc struct {
	args           string
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed once the process has exited
	err            error         // from Wait; read after done
}

// start starts sluice with args; ctx ending kills it.
func (s *sluiceCmd) start(ctx context.Context, t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{args: strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, s.bin, args...)
	p.cmd.Dir, p.cmd.Env = s.dir, s.env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start sluice %s: %v", p.args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p
}

// stderrSoFar is what the process has written to stderr until now.
func (p *proc) stderrSoFar() string { return p.stderr.String() }

// lockedBuffer is a bytes.Buffer the process's output copier and the test
// may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// exited reports whether the process has ended, without waiting.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process and returns its exit code and output. A
// process killed by the timeout fails the test.
func (p *proc) wait(t *testing.T) (code int, stdout, stderr string) {
	t.Helper()
	<-p.done
	var ee *exec.ExitError
	switch {
	case p.err == nil:
	case errors.As(p.err, &ee) && ee.Exited():
		code = ee.ExitCode()
	default:
		t.Fatalf("sluice %s: %v (timeout %s)\nstdout:\n%s\nstderr:\n%s", p.args, p.err, procTimeout, &p.stdout, &p.stderr)
	}
	return code, p.stdout.String(), p.stderr.String()
}

// run runs sluice with args to the end.
func (s *sluiceCmd) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
	defer cancel()
	return s.start(ctx, t, args...).wait(t)
}

// copySample copies the shipped config.yaml and sample-data/ into work.
func copySample(t *testing.T, work string) {
	t.Helper()
	copyFile(t, "../../config.yaml", filepath.Join(work, "config.yaml"))
	entries, err := os.ReadDir("../../sample-data")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			copyFile(t, filepath.Join("../../sample-data", e.Name()), filepath.Join(work, "sample-data", e.Name()))
		}
	}
}
