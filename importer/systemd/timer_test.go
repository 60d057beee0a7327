package systemd

import (
	"errors"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// TestScheduleErrors: a schedule with no timer form, or none at all, is a
// *ScheduleError naming the job and pointing to --on-calendar.
func TestScheduleErrors(t *testing.T) {
	t.Parallel()
	const path = "/srv/app/config.yaml"
	tests := []struct {
		name     string
		jobs     []*importer.Job
		want     ScheduleError
		msg      string
		hasCause bool
	}{
		{
			name: "no timer form",
			jobs: []*importer.Job{{JobConfig: importer.JobConfig{Name: "stock"}}, {JobConfig: importer.JobConfig{Name: "socks", Schedule: "CRON_TZ=UTC"}}},
			want: ScheduleError{Config: path, Job: "socks", Schedule: "CRON_TZ=UTC",
				Hint: "sluice systemd --on-calendar '*-*-* 03:00:00' (systemd's calendar syntax: man systemd.time)"},
			msg:      `job socks: schedule "CRON_TZ=UTC" has no systemd timer form: a time zone must be followed by a space and the schedule`,
			hasCause: true,
		},
		{
			name: "no schedule",
			jobs: []*importer.Job{{JobConfig: importer.JobConfig{Name: "stock"}}},
			want: ScheduleError{Config: path, Hint: "sluice systemd --on-calendar '*-*-* 03:00:00'"},
			msg:  "no job in /srv/app/config.yaml has a schedule, so the timer would never start an import",
		},
	}
	for _, tt := range tests {
		cfg := &importer.ConfigFile{Path: path, Jobs: tt.jobs}
		p, err := PlanUnits(cfg, models.Target{Driver: "sqlite", Path: ":memory:"}, Options{})
		var se *ScheduleError
		if p != nil || !errors.As(err, &se) {
			t.Errorf("%s: PlanUnits = %v, %#v; want a *ScheduleError", tt.name, p, err)
			continue
		}
		got := *se
		got.Err = nil
		if got != tt.want || se.Error() != tt.msg || (se.Err != nil) != tt.hasCause || errors.Unwrap(se) != se.Err {
			t.Errorf("%s: %#v (%q); want %#v (%q)", tt.name, se, se.Error(), tt.want, tt.msg)
		}
	}

	// Options.OnCalendar stands in for the jobs' schedules, bad or missing.
	cfg := &importer.ConfigFile{Path: path, Jobs: []*importer.Job{{JobConfig: importer.JobConfig{Name: "socks", Schedule: "CRON_TZ=UTC"}}}}
	if _, err := PlanUnits(cfg, models.Target{Driver: "sqlite", Path: ":memory:"}, Options{OnCalendar: []string{"daily"}}); err != nil {
		t.Errorf("PlanUnits with OnCalendar: %v", err)
	}
}
