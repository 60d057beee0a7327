package systemd

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/systemd/systemdtest"
)

// The daemon's parsers: five fields, or an optional leading seconds field
// with daemon.seconds.
var (
	fiveFields  = (&importer.ConfigFile{}).ScheduleParser()
	withSeconds = (&importer.ConfigFile{Daemon: importer.DaemonConfig{Seconds: true}}).ScheduleParser()
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
	analyze := systemdtest.Find(t)
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

}
