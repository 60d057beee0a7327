package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// runOnTerminal runs the real binary with stdout and stderr on a
// pseudo-terminal of cols columns, as a person at a terminal does, and
// returns its exit code and everything it wrote, "\r\n" made "\n".
func runOnTerminal(t *testing.T, s *sluiceCmd, cols uint16, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir, cmd.Env = s.dir, s.env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: cols, Rows: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out bytes.Buffer
	// Reading ends with EIO once the process has exited and closed its
	// side of the terminal.
	if _, err := io.Copy(&out, tty); err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	code := 0
	var ee *exec.ExitError
	if err := cmd.Wait(); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// screenRows is how many rows text takes on a terminal of cols columns.
func screenRows(text string, cols int) int {
	rows := 0
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		rows += max(1, (len([]rune(l))+cols-1)/cols)
	}
	return rows
}

// TestTerminalImport: on a terminal, sluice import says one summary line
// a file and a warning once: the shipped job's three files fit in four
// lines, nine rows at 80 columns (34 rows before). --log-level info brings slog's lines
// back; a failed file's error is said once, in its summary. The global
// flags come before the command here, as people type them too.
func TestTerminalImport(t *testing.T) {
	t.Parallel()
	bin := buildSluice(t)
	work := t.TempDir()
	copySample(t, work)
	s := newSluiceCmd(bin, work, "")

	code, out := runOnTerminal(t, s, 80, "--config", "config.yaml", "import", "--job", "socks")
	summaryRE := regexp.MustCompile(`^socks sample-data/socks-2026-(09|10|11)\.csv: \d+ rows, \d+ inserted, \d+ updated, \d+ unchanged, \d+ rejected in [0-9.]+[µm]?s \(\d+ rows/s\)(; rejects in rejects/\S+)?$`)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 4 || lines[0] != "warning: ignoring CSV columns no column reads job=socks file=sample-data/socks-2026-09.csv columns=[Supplier]" {
		t.Fatalf("exit %d; want 0, the warning once, then three summaries:\n%s", code, out)
	}
	for _, l := range lines[1:] {
		if !summaryRE.MatchString(l) {
			t.Errorf("not a summary line: %q", l)
		}
	}
	// The summary of the file with rejects, naming its reject file, takes
	// three rows; the others and the warning two.
	if rows := screenRows(out, 80); rows > 9 {
		t.Errorf("%d rows at 80 columns, want at most 9:\n%s", rows, out)
	}

	// What the import created holds data rows: not world-readable.
	rejects, err := filepath.Glob(filepath.Join(work, "rejects", "socks-socks-2026-10-*.csv"))
	if err != nil || len(rejects) != 1 {
		t.Fatalf("reject files %v, %v; want one", rejects, err)
	}
	dbtest.CheckMode(t, filepath.Join(work, "sockmarket.db"), 0o640)
	dbtest.CheckMode(t, rejects[0], 0o640)
	dbtest.CheckMode(t, filepath.Join(work, "rejects"), 0o750)

	// Asked for, the structured lines come back, on the terminal too.
	code, out = runOnTerminal(t, s, 80, "import", "--job", "socks", "--force", "--log-level", "info")
	if code != 0 || strings.Count(out, "level=INFO msg=imported job=socks") != 3 || strings.Count(out, "level=WARN") != 3 {
		t.Errorf("--log-level info: exit %d; want three info lines and three warnings:\n%s", code, out)
	}

	// A file that fails: its summary says why, and nothing else does.
	bad := filepath.Join(work, "sample-data", "socks-bad.csv")
	if err := os.WriteFile(bad, []byte("sku\nSK-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = runOnTerminal(t, s, 80, "import", "--job", "socks", bad)
	want := "socks sample-data/socks-bad.csv: FAILED after 0 rows: "
	if code != 1 || !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 {
		t.Errorf("failed file: exit %d; want 1 and one line starting %q:\n%s", code, want, out)
	}
}

// TestProgressLine: the line shows once a file has taken progressDelay,
// names the pass, and is erased before the next file and the summaries.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	l := &progressLine{w: &out, width: 80, now: func() time.Time { return now }}
	update := l.start("/dumps/socks-2026-12.csv", 130_000_000)
	l.mu.Lock()
	close(l.stop) // the test's clock drives it, not the real ticker
	l.stop = make(chan struct{})
	l.mu.Unlock()

	update(importer.Progress{Pass: importer.PassChecksum})
	now = now.Add(progressDelay / 2)
	update(importer.Progress{Pass: importer.PassChecksum, Bytes: 20_000_000})
	l.tick()
	if out.Len() != 0 {
		t.Fatalf("drawn before %s: %q", progressDelay, out.String())
	}
	now = now.Add(progressDelay / 2)
	update(importer.Progress{Pass: importer.PassChecksum, Bytes: 65_000_000})
	l.tick()
	const checksum = "\rsocks-2026-12.csv checksum  50% [========        ] 65/130 MB 130 MB/s\x1b[K"
	if out.String() != checksum {
		t.Errorf("at %s:\n got %q\nwant %q", progressDelay, out.String(), checksum)
	}
	out.Reset()
	update(importer.Progress{Pass: importer.PassLoad})
	now = now.Add(time.Second)
	update(importer.Progress{Pass: importer.PassLoad, Bytes: 13_000_000, Rows: 123456})
	l.tick()
	const load = "\rsocks-2026-12.csv load  10% [=               ] 13/130 MB 13 MB/s 123456 rows\x1b[K"
	if out.String() != load {
		t.Errorf("loading:\n got %q\nwant %q", out.String(), load)
	}
	out.Reset()
	update(importer.Progress{Pass: importer.PassLoad, Bytes: 130_000_000, Rows: 1234567, Done: true})
	now = now.Add(3 * time.Second)
	l.tick()
	if want := "\rsocks-2026-12.csv merge 3s 1234567 rows\x1b[K"; out.String() != want {
		t.Errorf("merging:\n got %q\nwant %q", out.String(), want)
	}
	out.Reset()
	l.clear()
	l.tick()
	if out.String() != "\r\x1b[K" {
		t.Errorf("clear: %q, want the line erased and nothing drawn after", out.String())
	}
	l.clear() // twice is harmless
	(*progressLine)(nil).clear()
}
