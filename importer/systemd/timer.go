package systemd

import (
	"fmt"
	"strings"

	"github.com/sluice-dev/sluice/importer"
)

// ScheduleError means the timer cannot be planned from the jobs'
// schedules: one has no systemd timer form, or no job has a schedule.
// Options.OnCalendar gets round both.
type ScheduleError struct {
	Config   string // the config's path
	Job      string // the job whose schedule has no timer form; "" when no job has a schedule
	Schedule string // that job's schedule, as written
	Err      error  // why it has no timer form
	// Hint is a command line that gets round the error.
	Hint string
}

func (e *ScheduleError) Error() string {
	if e.Job == "" {
		return fmt.Sprintf("no job in %s has a schedule, so the timer would never start an import", e.Config)
	}
	return fmt.Sprintf("job %s: schedule %q has no systemd timer form: %v", e.Job, e.Schedule, e.Err)
}

func (e *ScheduleError) Unwrap() error { return e.Err }

// calendarLine is one OnCalendar= value and the schedules it comes from.
type calendarLine struct{ spec, why string }

// planTimer turns the jobs' schedules (or Options.OnCalendar) into the
// timer's triggers. The service imports every job; the ledger skips what
// is done, so one timer firing on the union of the schedules is enough.
func (p *Plan) planTimer(cfg *importer.ConfigFile) error {
	if len(p.opt.OnCalendar) > 0 {
		for _, s := range p.opt.OnCalendar {
			p.calendars = append(p.calendars, calendarLine{s, "from --on-calendar"})
		}
		return nil
	}
	index := map[string]int{}
	parser := cfg.ScheduleParser() // the daemon's: daemon.seconds adds a field
	for _, j := range cfg.Jobs {
		if j.Schedule == "" {
			continue
		}
		ts, err := cronToTimer(parser, j.Schedule)
		if err != nil {
			return &ScheduleError{
				Config: cfg.Path, Job: j.Name, Schedule: j.Schedule, Err: err,
				Hint: "sluice systemd --on-calendar '*-*-* 03:00:00' (systemd's calendar syntax: man systemd.time)",
			}
		}
		why := j.Name + ": " + strings.Join(strings.Fields(j.Schedule), " ") // one line in a comment
		p.precise = p.precise || ts.precise
		if ts.every > 0 {
			p.everyJobs = append(p.everyJobs, why)
			if p.every == 0 || ts.every < p.every {
				p.every = ts.every
			}
		}
		for i, s := range ts.calendars {
			w := why
			if len(ts.calendars) == 2 {
				w += [2]string{", the weekdays (cron runs on the weekday OR the day of the month)", ", the days of the month"}[i]
			}
			if k, ok := index[s]; ok {
				p.calendars[k].why += "; " + w
				continue
			}
			index[s] = len(p.calendars)
			p.calendars = append(p.calendars, calendarLine{s, w})
		}
	}
	if len(p.calendars) == 0 && p.every == 0 {
		return &ScheduleError{Config: cfg.Path, Hint: "sluice systemd --on-calendar '*-*-* 03:00:00'"}
	}
	return nil
}
