package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/sluice-dev/sluice/importer/notify"
)

// Watching a job: who hears of its runs (notify:) and how long it may go
// without a new file (source.expect_every) before it is overdue.

// Notify is where the job's runs are told: the config's top-level
// notify: targets, then the job's own.
func (j *Job) Notify() []notify.Target { return j.notify }

// ExpectEvery is source.expect_every: 0 when the job is never overdue.
func (j *Job) ExpectEvery() time.Duration { return j.expectEvery }

// compileWatch checks the job's notify: and source.expect_every and
// gives it the top-level targets (checked already) before its own.
func (j *Job) compileWatch(top []notify.Target, fail failFunc) error {
	own, err := checkTargets(j.JobConfig.Notify, "notify", fail)
	if err != nil {
		return err
	}
	j.notify = append(append([]notify.Target(nil), top...), own...)
	if s := j.Source.ExpectEvery; s != "" {
		d, err := ParseLongDuration(s)
		if err != nil || d <= 0 {
			return fail("source.expect_every", "%q is not a positive duration (35d, 5w, 36h)", s)
		}
		j.expectEvery = d
	}
	return nil
}

// checkTargets checks a notify: list, filling in each target's defaults.
func checkTargets(ts []notify.Target, key string, fail failFunc) ([]notify.Target, error) {
	for i := range ts {
		if field, err := ts[i].Check(); err != nil {
			return nil, fail(fmt.Sprintf("%s[%d].%s", key, i, field), "%v", err)
		}
	}
	return ts, nil
}

var longUnitRE = regexp.MustCompile(`(\d+(?:\.\d+)?)([dw])`)

// ParseLongDuration is time.ParseDuration with days (d, 24 h) and weeks
// (w, 7 d) besides: "35d", "5w", "1w3d12h". A day is 24 hours, whatever
// the clocks do that day.
func ParseLongDuration(s string) (time.Duration, error) {
	var bad error
	hours := longUnitRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := longUnitRE.FindStringSubmatch(m)
		n, err := strconv.ParseFloat(sm[1], 64)
		if err != nil {
			bad = err
		}
		if sm[2] == "w" {
			n *= 7
		}
		return strconv.FormatFloat(n*24, 'f', -1, 64) + "h"
	})
	if bad != nil {
		return 0, fmt.Errorf("duration %q: %w", s, bad)
	}
	d, err := time.ParseDuration(hours)
	if err != nil {
		return 0, fmt.Errorf("duration %q: use a number with d, w, h, m or s", s)
	}
	return d, nil
}

// FormatLongDuration writes d in days when it is a whole number of them
// (35d), else as Go does (36h0m0s).
func FormatLongDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}
