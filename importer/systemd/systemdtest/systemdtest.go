// Package systemdtest checks generated units with systemd-analyze, for the
// tests of package systemd and of the command that writes the units.
package systemdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Find is the path of systemd-analyze, or "" without it. Under CI
// (CI=true), which installs it, its absence fails the test.
func Find(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd)")
		}
		return ""
	}
	return path
}

// Analyze is the path of systemd-analyze. Without it the test skips, but
// under CI it fails.
func Analyze(t testing.TB) string {
	t.Helper()
	path := Find(t)
	if path == "" {
		t.Skip("systemd-analyze is not installed (Debian package systemd): units not checked")
	}
	return path
}

// Executable is the running test binary: a file that exists, for the
// ExecStart= of units that Verify checks.
func Executable(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// Verify runs systemd-analyze verify on unit files: it must succeed and
// say nothing about them. It works offline, without systemd running: it
// loads the given files plus the installed units they name
// (network-online.target, timers.target); --man=no skips looking up man
// pages of Documentation= (there is none, so this only keeps it quiet on
// systems without man).
func Verify(t testing.TB, analyze string, paths ...string) {
	t.Helper()
	cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, paths...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=info", "SYSTEMD_COLORS=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		if strings.Contains(line, "sluice") || strings.Contains(line, filepath.Dir(paths[0])) {
			t.Errorf("systemd-analyze verify: %s", line)
		} else {
			t.Logf("systemd-analyze verify, about something else: %s", line)
		}
	}
}
