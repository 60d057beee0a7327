package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer/systemd"
	"github.com/sluice-dev/sluice/importer/systemd/systemdtest"
)

// systemdConfig takes its database URL from DATABASE_URL; it has one job
// on a schedule and one without.
const systemdConfig = `database:
  url: ${DATABASE_URL}
jobs:
  - name: socks
    schedule: "0 3 1 * *"
    source: {path: "data/socks-*.csv"}
    table: socks
    key: [sku]
    columns: [{name: sku}]
  - name: stock
    source: {path: "data/stock-*.csv"}
    table: stock_levels
    key: [sku]
    columns: [{name: sku}]
`

// newSystemdSetup is a config in a folder whose name has a space and a
// '%', which the units must quote and escape.
func newSystemdSetup(t *testing.T) *cliSetup {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sock app 100%")
	if err := os.MkdirAll(filepath.Join(dir, "rejects"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &cliSetup{dir: dir, config: filepath.Join(dir, "config.yaml"), env: map[string]string{}}
	if err := os.WriteFile(s.config, []byte(systemdConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSystemdWrite writes the units with --write for a config whose
// database URL, password included, comes from DATABASE_URL: the password
// must appear nowhere, and systemd-analyze verify must pass the units.
func TestSystemdWrite(t *testing.T) {
	t.Parallel()
	const password = "pa55-w0rd"
	s := newSystemdSetup(t)
	s.env["DATABASE_URL"] = "postgresql://sluice:" + password + "@db.example:5432/sockmarket"
	out := filepath.Join(t.TempDir(), "units")
	envFile := filepath.Join(s.dir, "sluice.env") // does not exist
	exe := systemdtest.Executable(t)
	code, stdout, stderr := s.run(t, "systemd", "--config", "{config}", "--write", out, "--binary", exe, "--env-file", envFile, "--user", "sluice")
	if code != 0 {
		t.Fatalf("systemd --write: exit %d\n%s", code, stderr)
	}
	then := " /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now "
	checkLines(t, "systemd --write", strings.Split(stdout, "\n"), []string{
		"wrote " + filepath.Join(out, systemd.ImportUnit),
		"wrote " + filepath.Join(out, systemd.TimerUnit),
		"wrote " + filepath.Join(out, systemd.DaemonUnit),
		"",
		"Install one of the two, not both (they would run the same imports):",
		"",
		"  Scheduled imports (the timer starts sluice import):",
		"    sudo cp " + filepath.Join(out, systemd.ImportUnit) + " " + filepath.Join(out, systemd.TimerUnit) + then + systemd.TimerUnit,
		"",
		"  Or the daemon (it runs the jobs on their schedules itself):",
		"    sudo cp " + filepath.Join(out, systemd.DaemonUnit) + then + systemd.DaemonUnit,
		"",
	})
	checkLines(t, "systemd --write notes", strings.Split(stderr, "\n"), []string{
		"note: the database URL comes from DATABASE_URL; the units only name " + envFile + ", so put it there (mode 0600) with the real password for xxxxx:",
		"  DATABASE_URL=postgresql://sluice:xxxxx@db.example:5432/sockmarket",
		"",
	})
	if strings.Contains(stdout+stderr, password) {
		t.Errorf("the password was printed:\n%s%s", stdout, stderr)
	}
	var paths []string
	for _, name := range []string{systemd.ImportUnit, systemd.TimerUnit, systemd.DaemonUnit} {
		path := filepath.Join(out, name)
		paths = append(paths, path)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", name, info.Mode())
		}
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(text), password) || strings.Contains(string(text), "db.example") {
			t.Errorf("%s holds the database URL:\n%s", name, text)
		}
		if name != systemd.TimerUnit {
			// Quoted for the space, '%' escaped; $ in the config path would be $$.
			want := `ExecStart=` + exe + ` ` + strings.TrimSuffix(strings.TrimPrefix(name, "sluice-"), ".service") +
				` --config "` + strings.ReplaceAll(s.config, "%", "%%") + `"`
			if name == systemd.DaemonUnit {
				want = strings.Replace(want, " sluice --config", " daemon --config", 1)
			}
			// DATABASE_URL comes from the env file: without it the
			// service must not start.
			if !strings.Contains(string(text), "\nEnvironmentFile="+strings.ReplaceAll(envFile, "%", "%%")+"\n") {
				t.Errorf("%s: want EnvironmentFile=%s without the \"-\" that lets it be missing:\n%s", name, envFile, text)
			}
			if !strings.Contains(string(text), "\n"+want+"\n") ||
				!strings.Contains(string(text), "\nReadWritePaths=\""+strings.ReplaceAll(s.path("rejects"), "%", "%%")+"\"\n") ||
				!strings.Contains(string(text), "\nAfter=network-online.target\n") {
				t.Errorf("%s lacks %q, the rejects folder or network-online.target:\n%s", name, want, text)
			}
		}
	}

	// With DATABASE_URL in the env file the services will find it: no
	// note. The shell's variable is not needed then.
	delete(s.env, "DATABASE_URL")
	if err := os.WriteFile(envFile, []byte("# sluice\nDATABASE_URL='postgresql://sluice:"+password+"@db.example/sockmarket'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = s.run(t, "systemd", "--config", "{config}", "--write", out, "--binary", exe, "--env-file", envFile, "--user", "sluice")
	if code != 0 || stderr != "" {
		t.Errorf("systemd --write with DATABASE_URL in the env file: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	analyze := systemdtest.Analyze(t)
	systemdtest.Verify(t, analyze, paths...)
	for _, path := range []string{paths[0], paths[2]} {
		if score := systemdtest.Exposure(t, analyze, path); score > 2.5 {
			t.Errorf("%s: systemd-analyze security scores it %.1f, want at most 2.5", filepath.Base(path), score)
		}
	}
}

// TestSystemdPrint prints the units: each under a "# name" line, with a
// blank line between, the same text --write writes.
func TestSystemdPrint(t *testing.T) {
	t.Parallel()
	s := newSystemdSetup(t)
	s.env["DATABASE_URL"] = "sqlite:///sock.db"
	args := []string{"systemd", "--config", "{config}", "--binary", "/usr/local/bin/sluice", "--env-file", "/etc/sluice/sluice.env", "--randomized-delay", "0"}
	code, stdout, stderr := s.run(t, args...)
	if code != 0 {
		t.Fatalf("systemd: exit %d\n%s", code, stderr)
	}
	out := t.TempDir()
	if code, _, stderr := s.run(t, append(args, "--write", out)...); code != 0 {
		t.Fatalf("systemd --write: exit %d\n%s", code, stderr)
	}
	var want []string
	for _, name := range []string{systemd.ImportUnit, systemd.TimerUnit, systemd.DaemonUnit} {
		text, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, "# "+name+"\n"+string(text))
	}
	if stdout != strings.Join(want, "\n") {
		t.Errorf("printed units differ from the written ones:\n%s", stdout)
	}
	if strings.Contains(stdout, "RandomizedDelaySec") || !strings.Contains(stdout, "\nOnCalendar=*-*-01 03:00:00\n") {
		t.Errorf("timer: want OnCalendar=*-*-01 03:00:00 and no RandomizedDelaySec:\n%s", stdout)
	}
	checkLines(t, "systemd notes", strings.Split(stderr, "\n"), []string{
		"note: install either sluice-import.service with sluice-import.timer, or sluice.service, not both; --write DIR writes the files and prints the commands",
		"note: the database URL comes from DATABASE_URL; the units only name /etc/sluice/sluice.env, so put it there (mode 0600):",
		"  DATABASE_URL=sqlite:///sock.db",
		"note: without --user the services run as root; a system user is safer: sudo adduser --system --group --no-create-home sluice, then --user sluice",
		"note: /usr/local/bin/sluice does not exist yet; install sluice there before starting the units",
		"",
	})
}

func TestSystemdUsage(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t) // no job has a schedule
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{
			"no schedule", nil,
			"sluice: no job in " + s.config + " has a schedule, so the timer would never start an import\nTry: sluice systemd --on-calendar '*-*-* 03:00:00'\n",
		},
		{
			"negative delay", []string{"--on-calendar", "daily", "--randomized-delay", "-1m"},
			"sluice: --randomized-delay cannot be negative\nTry: sluice systemd --randomized-delay 5m\n",
		},
		{
			"relative env file", []string{"--on-calendar", "daily", "--env-file", "sluice.env"},
			"sluice: --env-file \"sluice.env\" is not an absolute path\nTry: sluice systemd --env-file /etc/sluice/sluice.env\n",
		},
		{
			"bad user", []string{"--on-calendar", "daily", "--user", "sock puppet"},
			"sluice: --user \"sock puppet\" is not a user name (or NAME:GROUP)\nTry: sluice systemd --user sluice\n",
		},
		{
			"argument", []string{"units"},
			"sluice: unexpected argument \"units\"\nTry: sluice systemd --help\n",
		},
	}
	for _, tt := range tests {
		args := append([]string{"systemd", "--config", "{config}", "--binary", "/usr/local/bin/sluice"}, tt.args...)
		code, stdout, stderr := s.run(t, args...)
		if code != 2 || stdout != "" || stderr != tt.stderr {
			t.Errorf("%s: exit %d, stdout %q, stderr\n%s\nwant exit 2 and\n%s", tt.name, code, stdout, stderr, tt.stderr)
		}
	}
	code, _, stderr := s.run(t, "systemd", "--config", "{config}", "--on-calendar", "")
	if code != 2 || !strings.Contains(stderr, "sluice: invalid value \"\" for flag -on-calendar: want one systemd calendar spec, such as '*-*-* 03:00:00'\n") {
		t.Errorf("--on-calendar '': exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := s.run(t, "systemd", "--config", "{config}", "--binary", "/usr/local/bin/sluice", "--on-calendar", "Sat *-*-* 02:00", "--on-calendar", "*-*-01 04:00")
	if code != 0 || !strings.Contains(stdout, "\n# from --on-calendar\nOnCalendar=Sat *-*-* 02:00\n# from --on-calendar\nOnCalendar=*-*-01 04:00\n") {
		t.Errorf("--on-calendar twice: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestSystemdScheduleError: a schedule with no timer form is a usage
// error naming the job, with the hint the planner gives.
func TestSystemdScheduleError(t *testing.T) {
	t.Parallel()
	s := newCLISetup(t, strings.Replace(systemdConfig, `"0 3 1 * *"`, `"0 0 30 2 *"`, 1), map[string]string{})
	s.env["DATABASE_URL"] = "sqlite:///sock.db"
	code, stdout, stderr := s.run(t, "systemd", "--config", "{config}", "--binary", "/usr/local/bin/sluice")
	const want = "sluice: job socks: schedule \"0 0 30 2 *\" has no systemd timer form: it matches no date, so it would never run\n" +
		"Try: sluice systemd --on-calendar '*-*-* 03:00:00' (systemd's calendar syntax: man systemd.time)\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr\n%s\nwant exit 2 and\n%s", code, stdout, stderr, want)
	}
}
