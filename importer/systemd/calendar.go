package systemd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is robfig/cron's mark (spec.go) on a field written * or ?. When
// the day of month or the weekday has it, a day must match both; when
// neither has, a day matches if either does.
const starBit = 1 << 63

// timerSchedule is one job's schedule as timer settings.
type timerSchedule struct {
	calendars []string      // OnCalendar= values
	every     time.Duration // or the interval of @every
	precise   bool          // it runs off the minute
}

// cronToTimer turns a job's schedule into timer settings. The schedule is
// parsed by robfig/cron with the daemon's own parser, so the timer cannot
// read the fields differently; the tests check the result against
// robfig/cron's next run times.
func cronToTimer(parser cron.Parser, spec string) (timerSchedule, error) {
	// robfig/cron v3.0.1 panics on a time zone with no schedule after it.
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return timerSchedule{}, errors.New("a time zone must be followed by a space and the schedule")
	}
	sched, err := parser.Parse(spec)
	if err != nil {
		return timerSchedule{}, err
	}
	switch s := sched.(type) {
	case cron.ConstantDelaySchedule:
		// robfig/cron has rounded it to whole seconds, at least one.
		return timerSchedule{every: s.Delay, precise: s.Delay%time.Minute != 0}, nil
	case *cron.SpecSchedule:
		if s.Next(time.Now()).IsZero() {
			return timerSchedule{}, errors.New("it matches no date, so it would never run")
		}
		return timerSchedule{calendars: specCalendars(s), precise: s.Second&^starBit != 1}, nil
	}
	return timerSchedule{}, fmt.Errorf("unknown schedule type %T", sched)
}

// specCalendars writes a parsed cron spec as OnCalendar= values. They run
// at robfig/cron's times but for one case: when daylight saving time ends,
// robfig/cron runs a wall-clock time that comes twice twice, systemd once.
// The second run would find every file in the ledger anyway.
func specCalendars(s *cron.SpecSchedule) []string {
	zone := ""
	if s.Location != time.Local {
		zone = " " + s.Location.String()
	}
	clock := calendarField(s.Hour, 0, 23) + ":" + calendarField(s.Minute, 0, 59) + ":" + calendarField(s.Second, 0, 59)
	line := func(dow, dom uint64) string {
		days := weekdays(dow)
		if days != "" {
			days += " "
		}
		return days + "*-" + calendarField(s.Month, 1, 12) + "-" + calendarField(dom, 1, 31) + " " + clock + zone
	}
	const allDom, allDow = 1<<32 - 2, 1<<7 - 1 // bits 1 to 31, 0 to 6
	dom, dow := s.Dom&^starBit, s.Dow&^starBit
	switch {
	case s.Dom&starBit != 0 || s.Dow&starBit != 0:
		return []string{line(dow, dom)}
	case dom&allDom == allDom || dow&allDow == allDow:
		return []string{line(allDow, allDom)}
	}
	// systemd requires the weekday AND the date to match: cron's OR
	// takes one line for each.
	return []string{line(dow, allDom), line(allDow, dom)}
}

// calendarField writes the values set in bits (lo to hi) as systemd reads
// them: *, a..b ranges, start/step repetitions and lists.
func calendarField(bits uint64, lo, hi int) string {
	var v []int
	for i := lo; i <= hi; i++ {
		if bits&(1<<i) != 0 {
			v = append(v, i)
		}
	}
	pad := func(i int) string { return fmt.Sprintf("%02d", i) }
	if len(v) == hi-lo+1 {
		return "*"
	}
	if step := progression(v); step > 1 {
		if last := v[len(v)-1]; last+step <= hi {
			return pad(v[0]) + ".." + pad(last) + "/" + strconv.Itoa(step)
		}
		return pad(v[0]) + "/" + strconv.Itoa(step)
	}
	return joinRuns(v, pad)
}

// progression is the common difference of v when it has three or more
// evenly spaced values, else 0.
func progression(v []int) int {
	if len(v) < 3 {
		return 0
	}
	for i := 2; i < len(v); i++ {
		if v[i]-v[i-1] != v[1]-v[0] {
			return 0
		}
	}
	return v[1] - v[0]
}

var weekdayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// weekdays writes cron's weekday bits (0 is Sunday) as systemd's
// Monday-first names; "" for every day.
func weekdays(bits uint64) string {
	var days []int
	for i := range 7 {
		if bits&(1<<((i+1)%7)) != 0 {
			days = append(days, i)
		}
	}
	if len(days) == 7 {
		return ""
	}
	return joinRuns(days, func(i int) string { return weekdayNames[i] })
}

// joinRuns lists v, writing three or more consecutive values as a..b.
func joinRuns(v []int, name func(int) string) string {
	var parts []string
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, name(v[i])+".."+name(v[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, name(v[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
