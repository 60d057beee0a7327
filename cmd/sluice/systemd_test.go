package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden units in testdata/systemd")

// systemdAnalyze is the path of systemd-analyze. Without it the test
// skips, but under CI (which installs it) it fails.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd)")
		}
		t.Skip("systemd-analyze is not installed (Debian package systemd): units not checked")
	}
	return path
}

// The daemon's parsers: five fields, or an optional leading seconds field
// with daemon.seconds.
var (
	fiveFields  = (&importer.Config{}).ScheduleParser()
	withSeconds = (&importer.Config{Daemon: importer.DaemonConfig{Seconds: true}}).ScheduleParser()
)

var calendarTests = []struct {
	spec    string
	seconds bool          // daemon.seconds
	want    []string      // OnCalendar= values
	every   time.Duration // or the @every interval
	precise bool          // AccuracySec=1s
}{
	{spec: "0 3 1 * *", want: []string{"*-*-01 03:00:00"}},
	{spec: "*/15 * * * 1-5", want: []string{"Mon..Fri *-*-* *:00/15:00"}},
	{spec: "1,15 * * * *", want: []string{"*-*-* *:01,15:00"}},
	{spec: "0,30 9-17 * * *", want: []string{"*-*-* 09..17:00,30:00"}},
	{spec: "30 8-18/2 * * mon-fri", want: []string{"Mon..Fri *-*-* 08..18/2:30:00"}},
	{spec: "5/20 * * * *", want: []string{"*-*-* *:05/20:00"}},
	{spec: "10-40/10 * * * *", want: []string{"*-*-* *:10..40/10:00"}},
	{spec: "0-4,30 * * * *", want: []string{"*-*-* *:00..04,30:00"}},
	{spec: "*/90 * * * *", want: []string{"*-*-* *:00:00"}}, // a step past the end: only 0
	{spec: "* * * * *", want: []string{"*-*-* *:*:00"}},
	{spec: "0 0 * * 0", want: []string{"Sun *-*-* 00:00:00"}},
	{spec: "0 0 * * 6,0", want: []string{"Sat,Sun *-*-* 00:00:00"}},
	{spec: "0 0 * * 5-6,0-1", want: []string{"Mon,Fri..Sun *-*-* 00:00:00"}},
	{spec: "0 0 * * */2", want: []string{"Tue,Thu,Sat,Sun *-*-* 00:00:00"}},
	{spec: "0 0 1,15 * *", want: []string{"*-*-01,15 00:00:00"}},
	{spec: "0 6 1 jan,jul *", want: []string{"*-01,07-01 06:00:00"}},
	{spec: "0 0 1 */3 *", want: []string{"*-01/3-01 00:00:00"}},
	{spec: "0 0 29 2 *", want: []string{"*-02-29 00:00:00"}},
	{spec: "0 0 ? * 1", want: []string{"Mon *-*-* 00:00:00"}}, // ? is *: weekday AND date
	// Day of month and weekday both restricted: cron runs when either
	// matches, systemd only when both do, hence two lines.
	{spec: "0 12 1 * 1", want: []string{"Mon *-*-* 12:00:00", "*-*-01 12:00:00"}},
	{spec: "0 0 1-7 * mon", want: []string{"Mon *-*-* 00:00:00", "*-*-01..07 00:00:00"}},
	{spec: "0 0 */2 * 1", want: []string{"Mon *-*-* 00:00:00", "*-*-01/2 00:00:00"}},
	{spec: "0 0 1-31 * 1", want: []string{"*-*-* 00:00:00"}}, // every day OR Mondays
	{spec: "@yearly", want: []string{"*-01-01 00:00:00"}},
	{spec: "@annually", want: []string{"*-01-01 00:00:00"}},
	{spec: "@monthly", want: []string{"*-*-01 00:00:00"}},
	{spec: "@weekly", want: []string{"Sun *-*-* 00:00:00"}},
	{spec: "@daily", want: []string{"*-*-* 00:00:00"}},
	{spec: "@midnight", want: []string{"*-*-* 00:00:00"}},
	{spec: "@hourly", want: []string{"*-*-* *:00:00"}},
	{spec: "CRON_TZ=Europe/Paris 0 3 * * *", want: []string{"*-*-* 03:00:00 Europe/Paris"}},
	{spec: "TZ=America/New_York 30 1 * * 1-5", want: []string{"Mon..Fri *-*-* 01:30:00 America/New_York"}},
	{spec: "CRON_TZ=Europe/Paris 30 2 * * *", want: []string{"*-*-* 02:30:00 Europe/Paris"}},
	{spec: "TZ=America/New_York 30 1 * * *", want: []string{"*-*-* 01:30:00 America/New_York"}},
	{spec: "CRON_TZ=UTC @daily", want: []string{"*-*-* 00:00:00 UTC"}},
	{spec: "TZ=Local 0 4 * * *", want: []string{"*-*-* 04:00:00"}},
	{spec: "@every 1h30m", every: 90 * time.Minute},
	{spec: "@every 90s", every: 90 * time.Second, precise: true},
	{spec: "@every 1500ms", every: time.Second, precise: true}, // robfig/cron runs it every second
	{spec: "CRON_TZ=UTC @every 10m", every: 10 * time.Minute},
	{spec: "*/10 * * * * *", seconds: true, want: []string{"*-*-* *:*:00/10"}, precise: true},
	{spec: "30 0 3 * * mon", seconds: true, want: []string{"Mon *-*-* 03:00:30"}, precise: true},
	{spec: "0 0 3 1 * *", seconds: true, want: []string{"*-*-01 03:00:00"}},
	{spec: "0 3 1 * *", seconds: true, want: []string{"*-*-01 03:00:00"}}, // five fields still work
	{spec: "CRON_TZ=Europe/Paris 15 30 6 * * *", seconds: true, want: []string{"*-*-* 06:30:15 Europe/Paris"}, precise: true},
}

func parserFor(seconds bool) cron.Parser {
	if seconds {
		return withSeconds
	}
	return fiveFields
}

// calendarBases are where the next run times are compared from: a plain
// day, and the eves of the US and EU daylight saving changes of 2026.
var calendarBases = []time.Time{
	time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC),
}

// TestCalendar converts each cron spec and has systemd-analyze read the
// result: it must accept it, and the next run times it gives must be
// robfig/cron's, the daemon's scheduler.
func TestCalendar(t *testing.T) {
	t.Parallel()
	// Without systemd-analyze the conversions are still compared with
	// the table.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatal("systemd-analyze is not installed (Debian package systemd)")
	}
	for _, tt := range calendarTests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			ts, err := cronToTimer(parserFor(tt.seconds), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, every := ts.calendars, ts.every
			if !slices.Equal(got, tt.want) || every != tt.every || ts.precise != tt.precise {
				t.Fatalf("cronToTimer(%q) = %q, %v, precise %v; want %q, %v, precise %v", tt.spec, got, every, ts.precise, tt.want, tt.every, tt.precise)
			}
			if analyze == "" {
				t.Log("systemd-analyze is not installed: OnCalendar= not checked")
				return
			}
			if every > 0 {
				checkTimespan(t, analyze, formatSpan(every), every)
				return
			}
			for _, base := range calendarBases {
				const n = 8
				var sd []time.Time
				for _, c := range got {
					sd = append(sd, elapses(t, analyze, c, base, n)...)
				}
				slices.SortFunc(sd, time.Time.Compare)
				sd = slices.CompactFunc(sd, time.Time.Equal)[:n]
				if want := cronNext(t, parserFor(tt.seconds), tt.spec, base, n); !slices.EqualFunc(sd, want, time.Time.Equal) {
					t.Errorf("from %s, systemd runs %q at\n  %v\nrobfig/cron runs %q at\n  %v", base, got, sd, tt.spec, want)
				}
			}
		})
	}
}

var elapseRE = regexp.MustCompile(`(?m)^\s*(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$`)

// elapses is what `systemd-analyze calendar` says are spec's next n
// times after base, read in UTC.
func elapses(t *testing.T, analyze, spec string, base time.Time, n int) []time.Time {
	t.Helper()
	cmd := exec.Command(analyze, "calendar", "--iterations="+strconv.Itoa(n), "--base-time=@"+strconv.FormatInt(base.Unix(), 10), spec)
	cmd.Env = append(os.Environ(), "TZ=UTC", "SYSTEMD_COLORS=0")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Normalized form: ") {
		t.Fatalf("systemd-analyze calendar %q: %v\n%s", spec, err, out)
	}
	var times []time.Time
	for _, m := range elapseRE.FindAllStringSubmatch(string(out), -1) {
		at, err := time.Parse(time.DateTime, m[1])
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, at)
	}
	if len(times) != n {
		t.Fatalf("systemd-analyze calendar %q: %d times, want %d\n%s", spec, len(times), n, out)
	}
	return times
}

// cronNext is robfig/cron's next n run times of spec after base, in UTC;
// a spec without a time zone is read in UTC, as systemd-analyze is run.
// When daylight saving time ends, robfig/cron runs a wall-clock time that
// comes twice twice, systemd once: cronNext keeps the first, as the
// difference does not matter to an idempotent import.
func cronNext(t *testing.T, parser cron.Parser, spec string, base time.Time, n int) []time.Time {
	t.Helper()
	if !strings.HasPrefix(spec, "TZ=") && !strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=Local ") {
		spec = "CRON_TZ=UTC " + strings.TrimPrefix(spec, "TZ=Local ")
	}
	s, err := parser.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	var times []time.Time
	seen := map[string]bool{}
	for at := base; len(times) < n; {
		at = s.Next(at)
		if wall := at.In(s.(*cron.SpecSchedule).Location).Format(time.DateTime); !seen[wall] {
			seen[wall] = true
			times = append(times, at.UTC())
		}
	}
	return times
}

// checkTimespan has systemd-analyze read a time span.
func checkTimespan(t *testing.T, analyze, span string, want time.Duration) {
	t.Helper()
	out, err := exec.Command(analyze, "timespan", span).CombinedOutput()
	m := regexp.MustCompile(`μs: (\d+)`).FindSubmatch(out)
	if err != nil || m == nil || string(m[1]) != strconv.FormatInt(want.Microseconds(), 10) {
		t.Errorf("systemd-analyze timespan %q: %v, want %d μs\n%s", span, err, want.Microseconds(), out)
	}
}

func TestCalendarErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, err string }{
		{"", "empty spec string"},
		{"61 * * * *", "end of range (61) above maximum (59): 61"},
		{"0 0 * * 7", "end of range (7) above maximum (6): 7"},
		{"0 0 0 * * *", "expected exactly 5 fields, found 6: [0 0 0 * * *]"}, // without daemon.seconds
		{"0 0 L * *", "failed to parse int from L: "},
		{"0 0 * * 1#2", "failed to parse int from 1#2: "},
		{"@fortnightly", "unrecognized descriptor: @fortnightly"},
		{"@every 1x", "failed to parse duration @every 1x: "},
		{"CRON_TZ=Mars/Olympus 0 0 * * *", "provided bad location Mars/Olympus: "},
		{"CRON_TZ=UTC", "a time zone must be followed by a space and the schedule"}, // robfig/cron would panic
		{"0 0 30 2 *", "it matches no date, so it would never run"},
	}
	for _, tt := range tests {
		ts, err := cronToTimer(fiveFields, tt.spec)
		if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
			t.Errorf("cronToTimer(%q) = %+v, %v; want error %q", tt.spec, ts, err, tt.err)
		}
	}

	// The command names the job and points to --on-calendar.
	cfg := &importer.Config{Path: "/srv/app/config.yaml", Jobs: []*importer.Job{{Name: "socks", Schedule: "CRON_TZ=UTC"}}}
	err := (&unitPlan{}).planTimer(cfg)
	var ue *usageError
	if !errors.As(err, &ue) || ue.msg != `job socks: schedule "CRON_TZ=UTC" has no systemd timer form: a time zone must be followed by a space and the schedule` ||
		ue.hint != "sluice systemd --on-calendar '*-*-* 03:00:00' (systemd's calendar syntax: man systemd.time)" {
		t.Errorf("planTimer with a bad schedule: %#v", err)
	}
}

// TestSystemdGolden builds the units for the configs in testdata/systemd
// and compares them with the files there (go test -run SystemdGolden
// -update rewrites them); then systemd-analyze verify must find nothing
// to say about them.
func TestSystemdGolden(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pw"
	tests := []struct {
		name, path string // path: where the config is said to be
		env        map[string]string
		opt        unitOptions
	}{
		{"sqlite", "/srv/app/config.yaml", nil, unitOptions{user: "sluice", group: "sluice", randomizedDelay: 5 * time.Minute}},
		{
			"postgres", "/srv/app/config.yaml",
			map[string]string{"DATABASE_URL": "postgresql://sluice:" + password + "@db.internal:5432/sockmarket"},
			unitOptions{envFile: "/etc/sluice/prod.env", user: "sluice", group: "data"},
		},
		{
			"home", "/home/alice/sluice/config.yaml", nil,
			unitOptions{binary: "/home/alice/go/bin/sluice", user: "alice", group: "alice", onCalendar: []string{"Mon..Fri *-*-* 07:00:00"}, randomizedDelay: 90 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "systemd", tt.name)
			cfg, err := importer.LoadConfig(filepath.Join(dir, "config.yaml"), func(name string) (string, bool) {
				v, ok := tt.env[name]
				return v, ok
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Path = tt.path
			target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
			if err != nil {
				t.Fatal(err)
			}
			opt := tt.opt
			if opt.binary == "" {
				opt.binary = "/usr/local/bin/sluice"
			}
			if opt.envFile == "" {
				opt.envFile = "/etc/sluice/sluice.env"
			}
			p, err := planUnits(cfg, target, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range p.units() {
				golden := filepath.Join(dir, u.name)
				if *updateGolden {
					if err := os.WriteFile(golden, []byte(u.text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if u.text != string(want) {
					t.Errorf("%s differs from %s (go test -run SystemdGolden -update rewrites it):\n%s", u.name, golden, u.text)
				}
				if strings.Contains(u.text, password) || strings.Contains(u.text, "db.internal") {
					t.Errorf("%s holds the database URL:\n%s", u.name, u.text)
				}
			}

			// The same units, running a binary that exists, for verify.
			analyze := systemdAnalyze(t)
			opt.binary = testExecutable(t)
			p, err = planUnits(cfg, target, opt)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			var paths []string
			for _, u := range p.units() {
				paths = append(paths, filepath.Join(out, u.name))
				if err := os.WriteFile(paths[len(paths)-1], []byte(u.text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			verifyUnits(t, analyze, paths...)
		})
	}
}

func testExecutable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// verifyUnits runs systemd-analyze verify on unit files: it must succeed
// and say nothing about them. It works offline, without systemd running:
// it loads the given files plus the installed units they name
// (network-online.target, timers.target); --man=no skips looking up man
// pages of Documentation= (there is none, so this only keeps it quiet on
// systems without man).
func verifyUnits(t *testing.T, analyze string, paths ...string) {
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
	exe := testExecutable(t)
	code, stdout, stderr := s.run(t, "systemd", "--config", "{config}", "--write", out, "--binary", exe, "--env-file", envFile, "--user", "sluice")
	if code != 0 {
		t.Fatalf("systemd --write: exit %d\n%s", code, stderr)
	}
	then := " /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now "
	checkLines(t, "systemd --write", strings.Split(stdout, "\n"), []string{
		"wrote " + filepath.Join(out, importUnit),
		"wrote " + filepath.Join(out, timerUnit),
		"wrote " + filepath.Join(out, daemonUnit),
		"",
		"Install one of the two, not both (they would run the same imports):",
		"",
		"  Scheduled imports (the timer starts sluice import):",
		"    sudo cp " + filepath.Join(out, importUnit) + " " + filepath.Join(out, timerUnit) + then + timerUnit,
		"",
		"  Or the daemon (it runs the jobs on their schedules itself):",
		"    sudo cp " + filepath.Join(out, daemonUnit) + then + daemonUnit,
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
	for _, name := range []string{importUnit, timerUnit, daemonUnit} {
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
		if name != timerUnit {
			// Quoted for the space, '%' escaped; $ in the config path would be $$.
			want := `ExecStart=` + exe + ` ` + strings.TrimSuffix(strings.TrimPrefix(name, "sluice-"), ".service") +
				` --config "` + strings.ReplaceAll(s.config, "%", "%%") + `"`
			if name == daemonUnit {
				want = strings.Replace(want, " sluice --config", " daemon --config", 1)
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
	verifyUnits(t, systemdAnalyze(t), paths...)
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
	for _, name := range []string{importUnit, timerUnit, daemonUnit} {
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

// TestSystemdEnvNotes: what the operator is told to put in the env file,
// with no secret but the redacted DATABASE_URL line.
func TestSystemdEnvNotes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const envFile = "/etc/sluice/sluice.env" // does not exist
	tests := []struct {
		name, rawURL, url string
		fileEnv           map[string]string
		fromShell         []string
		envFile           string
		want              []string
	}{
		{
			name: "DATABASE_URL from the shell", rawURL: "${DATABASE_URL}", url: "mysql://app:hunter2@db/shop",
			fromShell: []string{"DATABASE_URL"},
			want: []string{"the database URL comes from DATABASE_URL; the units only name /etc/sluice/sluice.env, so put it there (mode 0600) with the real password for xxxxx:\n" +
				"  DATABASE_URL=mysql://app:xxxxx@db/shop"},
		},
		{
			name: "other variables from the shell", rawURL: "postgres://app:${DB_PASSWORD}@${DB_HOST}/shop", url: "postgres://app:hunter2@db/shop",
			fromShell: []string{"DB_PASSWORD", "DB_HOST"},
			want:      []string{"the config takes DB_PASSWORD=… DB_HOST=… from this shell; the services only have what /etc/sluice/sluice.env holds, so add them there"},
		},
		{
			name: "DATABASE_URL in the env file", rawURL: "${DATABASE_URL}", url: "mysql://app:hunter2@db/shop",
			fileEnv: map[string]string{"DATABASE_URL": "mysql://app:hunter2@db/shop"},
		},
		{
			name: "unreadable env file", rawURL: "${DATABASE_URL}", url: "sqlite:///x.db", fromShell: []string{"DATABASE_URL"},
			envFile: dir, // a folder: it exists, but does not read as a file
			want: []string{"the database URL comes from DATABASE_URL; the units only name " + dir + ", so sluice cannot read it to check: make sure it is there (mode 0600):\n" +
				"  DATABASE_URL=sqlite:///x.db"},
		},
		{
			name: "the default", rawURL: "${DATABASE_URL:-sqlite:///x.db}", url: "sqlite:///x.db",
			want: []string{"database.url uses ${DATABASE_URL}, which the services read from /etc/sluice/sluice.env; without it there they use the default, sqlite:///x.db"},
		},
		{
			name: "a password in the config", rawURL: "postgres://app:hunter2@db/shop", url: "postgres://app:hunter2@db/shop",
			want: []string{"{config} holds the database password; the units do not copy it, but url: ${DATABASE_URL} there and DATABASE_URL=… in /etc/sluice/sluice.env would keep it out of the config"},
		},
		{name: "no password", rawURL: "postgres://app@db/shop", url: "postgres://app@db/shop"},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, strconv.Itoa(i)+".yaml")
		if err := os.WriteFile(path, []byte("database:\n  url: \""+tt.rawURL+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := &importer.Config{Path: path, Database: importer.DatabaseConfig{URL: tt.url}}
		if tt.envFile == "" {
			tt.envFile = envFile
		}
		got := envNotes(cfg, tt.envFile, tt.fileEnv, tt.fromShell)
		for i := range tt.want {
			tt.want[i] = strings.ReplaceAll(tt.want[i], "{config}", path)
		}
		checkLines(t, tt.name, got, tt.want)
		if strings.Contains(strings.Join(got, "\n"), "hunter2") {
			t.Errorf("%s: the password was printed", tt.name)
		}
	}
}
