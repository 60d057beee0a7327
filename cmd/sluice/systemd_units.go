package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// unitPlan is what the three units are made of, worked out once.
type unitPlan struct {
	opt             unitOptions
	config, workDir string
	network         bool     // a database server: start once the network is up
	sqlite          bool     // the database's folder is among readWrite
	readWrite       []string // ReadWritePaths=, none inside another
	home, tmp       []string // needed paths under the home folders, under /tmp
	calendars       []calendarLine
	every           time.Duration // @every: the shortest interval
	everyJobs       []string
	precise         bool // a schedule runs off the minute: AccuracySec=1s
}

// calendarLine is one OnCalendar= value and the schedules it comes from.
type calendarLine struct{ spec, why string }

func planUnits(cfg *importer.Config, target models.Target, opt unitOptions) (*unitPlan, error) {
	p := &unitPlan{opt: opt, config: cfg.Path, workDir: cfg.Dir(), network: target.Driver != "sqlite"}
	if err := p.planTimer(cfg); err != nil {
		return nil, err
	}
	var write []string
	if target.Driver == "sqlite" && target.Path != ":memory:" {
		p.sqlite = true
		write = append(write, filepath.Dir(target.Path))
	}
	for _, j := range cfg.Jobs {
		write = append(write, j.Rejects.Dir)
	}
	p.readWrite = outermost(write)
	need := []string{cfg.Path, opt.binary, opt.envFile}
	for _, j := range cfg.Jobs {
		need = append(need, globDir(j.Source.Path))
	}
	if strings.HasPrefix(target.Host, "/") {
		need = append(need, target.Host) // a server's unix socket, often in /tmp
	}
	need = append(need, write...)
	for _, path := range need {
		if err := unitSafe(path); err != nil {
			return nil, err
		}
	}
	for _, path := range outermost(need) {
		// Classify where systemd will look: it resolves symlinks.
		real := path
		if r, err := filepath.EvalSymlinks(path); err == nil {
			real = r
		}
		switch {
		case path == opt.envFile:
			// Read by systemd before the sandbox is set up.
		case under(real, "/home", "/root", "/run/user"):
			p.home = append(p.home, path)
		case under(real, "/tmp", "/var/tmp"):
			p.tmp = append(p.tmp, path)
		}
	}
	return p, nil
}

// planTimer turns the jobs' schedules (or --on-calendar) into the timer's
// triggers. The service imports every job; the ledger skips what is done,
// so one timer firing on the union of the schedules is enough.
func (p *unitPlan) planTimer(cfg *importer.Config) error {
	if len(p.opt.onCalendar) > 0 {
		for _, s := range p.opt.onCalendar {
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
			return &usageError{
				msg:  fmt.Sprintf("job %s: schedule %q has no systemd timer form: %v", j.Name, j.Schedule, err),
				hint: "sluice systemd --on-calendar '*-*-* 03:00:00' (systemd's calendar syntax: man systemd.time)",
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
		return &usageError{msg: fmt.Sprintf("no job in %s has a schedule, so the timer would never start an import", cfg.Path), hint: "sluice systemd --on-calendar '*-*-* 03:00:00'"}
	}
	return nil
}

// notes are what the operator must do before the units can work.
func (p *unitPlan) notes() []string {
	var notes []string
	owner := ""
	if p.opt.user != "" {
		owner = "-o " + p.opt.user + " -g " + p.opt.group + " "
	}
	for _, d := range p.readWrite {
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			notes = append(notes, fmt.Sprintf("%s does not exist; create it before the first run, systemd refuses to start a service whose ReadWritePaths= are missing:\n  sudo install -d %s%s", d, owner, shellQuote(d)))
		}
	}
	if p.opt.user == "" {
		notes = append(notes, "without --user the services run as root; a system user is safer: sudo adduser --system --group --no-create-home sluice, then --user sluice")
	}
	if _, err := os.Stat(p.opt.binary); err != nil {
		notes = append(notes, fmt.Sprintf("%s does not exist yet; install sluice there before starting the units", p.opt.binary))
	}
	return notes
}

// globDir is the folder a source.path glob reads from: its longest
// leading part without glob characters.
func globDir(pattern string) string {
	dir := filepath.Dir(pattern)
	for strings.ContainsAny(dir, `*?[\`) {
		dir = filepath.Dir(dir)
	}
	return dir
}

// under reports whether path is one of roots or inside one.
func under(path string, roots ...string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, r+"/") {
			return true
		}
	}
	return false
}

// outermost drops duplicates and paths inside another of paths, keeping
// the order: ReadWritePaths= on a folder already covers what is in it.
func outermost(paths []string) []string {
	var out []string
	for i, p := range paths {
		inside := false
		for j, q := range paths {
			if i != j && under(p, q) && (p != q || j < i) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, p)
		}
	}
	return out
}

// unitSafe refuses what sluice does not escape for a unit file: quotes,
// backslashes and control characters in a path. Spaces, '%' and '$' are
// escaped where they are written.
func unitSafe(path string) error {
	if strings.ContainsFunc(path, func(r rune) bool { return unicode.IsControl(r) || r == '"' || r == '\\' }) {
		return fmt.Errorf("path %q has a quote, backslash or control character, which sluice does not write into systemd units; rename it", path)
	}
	return nil
}

func (p *unitPlan) units() []unit {
	return []unit{
		{importUnit, p.importService()},
		{timerUnit, p.timer()},
		{daemonUnit, p.daemonService()},
	}
}

// unitText builds a unit file line by line.
type unitText struct{ strings.Builder }

func (u *unitText) section(name string)   { u.WriteString("\n[" + name + "]\n") }
func (u *unitText) set(key, value string) { u.WriteString(key + "=" + value + "\n") }
func (u *unitText) comment(lines ...string) {
	for _, l := range lines {
		u.WriteString("# " + l + "\n")
	}
}

// newUnit starts a unit with the header and its [Unit] section.
func (p *unitPlan) newUnit(description string, service bool) *unitText {
	u := &unitText{}
	u.comment(fmt.Sprintf("Generated by sluice systemd for %s; regenerate after changing %s.", p.config, filepath.Base(p.config)))
	u.WriteString("[Unit]\n")
	u.set("Description", escapeSpecifiers(description))
	if service && p.network {
		u.comment("The database is a server: start once the network is up, not merely configured.")
		u.set("After", "network-online.target")
		u.set("Wants", "network-online.target")
	}
	return u
}

func (p *unitPlan) importService() string {
	u := p.newUnit("sluice: import the CSV files of "+p.config, true)
	u.section("Service")
	u.comment("Started by "+timerUnit+". A oneshot service has no start timeout by", "default, so a long import is not cut short.")
	u.set("Type", "oneshot")
	u.set("ExecStart", execLine(p.opt.binary, "import", "--config", p.config))
	p.sandbox(u)
	return u.String()
}

func (p *unitPlan) daemonService() string {
	u := p.newUnit("sluice daemon: runs the jobs of "+p.config+" on their schedules", true)
	u.section("Service")
	u.comment("The daemon tells systemd when its schedules are loaded (READY=1).")
	u.set("Type", "notify")
	u.set("NotifyAccess", "main")
	u.set("ExecStart", execLine(p.opt.binary, "daemon", "--config", p.config))
	u.comment("SIGHUP makes the daemon read " + filepath.Base(p.config) + " again.")
	u.set("ExecReload", "/bin/kill -HUP $MAINPID")
	u.set("Restart", "on-failure")
	u.set("RestartSec", "10s")
	u.comment("On SIGTERM the daemon gives running imports 30s to finish or roll back;", "leave it room before systemd sends SIGKILL.")
	u.set("TimeoutStopSec", "60s")
	p.sandbox(u)
	u.section("Install")
	u.set("WantedBy", "multi-user.target")
	return u.String()
}

// sandbox writes what both services share: where they run, as whom, and
// what of the file system they may touch.
func (p *unitPlan) sandbox(u *unitText) {
	u.set("WorkingDirectory", escapeSpecifiers(p.workDir))
	u.comment("DATABASE_URL and the config's other ${VARS} come from this file, never", `from the unit. "-": start even without it.`)
	u.set("EnvironmentFile", "-"+escapeSpecifiers(p.opt.envFile))
	if p.opt.user != "" {
		u.set("User", p.opt.user)
		u.set("Group", p.opt.group)
	}
	u.set("NoNewPrivileges", "yes")
	if len(p.tmp) == 0 {
		u.set("PrivateTmp", "yes")
	} else {
		u.comment("No PrivateTmp=yes: it would hide " + strings.Join(p.tmp, ", ") + " (under /tmp or /var/tmp).")
	}
	u.comment("The whole file system is read-only, but for ReadWritePaths= below.")
	u.set("ProtectSystem", "strict")
	if len(p.home) == 0 {
		u.comment("sluice needs nothing under /home, /root or /run/user: hide them.")
		u.set("ProtectHome", "yes")
	} else {
		u.comment("Needed under /home, /root or /run/user: "+strings.Join(p.home, ", ")+".",
			"ProtectHome=yes would hide them, and ReadWritePaths= cannot reopen a path inside",
			"a hidden one; read-only keeps them readable, and ReadWritePaths= nested in it",
			"still makes the folders listed there writable.")
		u.set("ProtectHome", "read-only")
	}
	if p.sqlite {
		u.comment("Writable: the database's folder (SQLite writes its -wal, -shm and -journal",
			"files and sluice its job locks beside the database) and the jobs' rejects",
			"folders. They must exist, or systemd refuses to start the service.")
	} else {
		u.comment("Writable: the jobs' rejects folders. They must exist, or systemd refuses", "to start the service.")
	}
	u.set("ReadWritePaths", pathList(p.readWrite))
}

func (p *unitPlan) timer() string {
	u := p.newUnit("sluice: scheduled imports for "+p.config, false)
	u.section("Timer")
	for _, c := range p.calendars {
		u.comment(c.why)
		u.set("OnCalendar", c.spec)
	}
	if p.every > 0 {
		span := formatSpan(p.every)
		u.comment(p.everyJobs...)
		u.comment("@every has no calendar form: first run "+span+" after boot, then "+span+" after",
			"each run started (the shortest interval, when jobs differ).")
		u.set("OnBootSec", span)
		u.set("OnUnitActiveSec", span)
	}
	if len(p.calendars) > 0 {
		u.comment("A run missed while the machine was off starts as soon as it is back.")
		u.set("Persistent", "true")
	}
	if p.precise {
		u.comment("A schedule runs off the minute: fire within a second, not the default minute.")
		u.set("AccuracySec", "1s")
	}
	if d := p.opt.randomizedDelay; d > 0 {
		u.comment("Start up to "+formatSpan(d)+" late, at random, so that machines sharing a", "schedule do not all hit the database at once.")
		u.set("RandomizedDelaySec", formatSpan(d))
	}
	u.set("Unit", importUnit)
	u.section("Install")
	u.set("WantedBy", "timers.target")
	return u.String()
}

// escapeSpecifiers keeps systemd from reading '%' in a value as a
// specifier such as %h.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// unitWord quotes a word of a space-separated setting when it needs it;
// unitSafe has already refused the characters quoting cannot carry.
func unitWord(s string) string {
	s = escapeSpecifiers(s)
	if s == "" || strings.ContainsFunc(s, unicode.IsSpace) || strings.Contains(s, "'") {
		return `"` + s + `"`
	}
	return s
}

// execLine is an ExecStart= command line; '$' is doubled since systemd
// expands $VARIABLES there.
func execLine(args ...string) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = unitWord(strings.ReplaceAll(a, "$", "$$"))
	}
	return strings.Join(words, " ")
}

func pathList(paths []string) string {
	words := make([]string, len(paths))
	for i, p := range paths {
		words[i] = unitWord(p)
	}
	return strings.Join(words, " ")
}

// formatSpan writes d as a systemd time span, such as "1h 30min".
func formatSpan(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}} {
		if n := d / u.unit; n > 0 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+u.name)
			d -= n * u.unit
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " ")
}
