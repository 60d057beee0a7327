// Package systemdtest checks generated units with systemd-analyze, for the
// tests of package systemd and of the command that writes the units.
package systemdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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

// exposureRE is the last line of systemd-analyze security: "→ Overall
// exposure level for sluice.service: 1.3 OK 🙂".
var exposureRE = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) `)

// Exposure is systemd-analyze security's overall exposure score of the
// service file at path, from 0 (locked down) to 10 (unprotected). It works
// offline (--offline=true, systemd 250 and later), on the file alone.
func Exposure(t testing.TB, analyze, path string) float64 {
	t.Helper()
	cmd := exec.Command(analyze, "security", "--offline=true", "--no-pager", path)
	cmd.Env = append(os.Environ(), "SYSTEMD_COLORS=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security %s: %v\n%s", path, err, out)
	}
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: no overall exposure level in\n%s", path, out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("systemd-analyze security %s: %.1f", filepath.Base(path), score)
	return score
}
