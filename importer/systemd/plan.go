package systemd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// Options are what the caller decides in the units, rather than the
// config.
type Options struct {
	// Binary is the absolute path of the sluice executable the units run.
	Binary string
	// EnvFile is the absolute path of the services' EnvironmentFile=,
	// where DATABASE_URL and the config's other ${VARS} come from.
	EnvFile string
	// RequireEnvFile makes EnvFile a must (no "-" prefix): the config
	// takes DATABASE_URL from it, and without it would quietly fall back
	// to its default database.
	RequireEnvFile bool
	// User and Group run the services; both empty: they run as root.
	User, Group string
	// OnCalendar, when set, are the timer's OnCalendar= values verbatim,
	// instead of the jobs' schedules.
	OnCalendar []string
	// RandomizedDelay is the timer's RandomizedDelaySec=; 0 leaves it out.
	RandomizedDelay time.Duration
}

// Plan is what the three units are made of, worked out once by PlanUnits.
type Plan struct {
	opt             Options
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

// PlanUnits works out the units that run cfg's jobs against target. A
// *ScheduleError means the jobs' schedules give the timer nothing to run
// on; any other error, a path the units cannot hold.
func PlanUnits(cfg *importer.ConfigFile, target models.Target, opt Options) (*Plan, error) {
	p := &Plan{opt: opt, config: cfg.Path, workDir: cfg.Dir(), network: target.Driver != "sqlite"}
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
	need := []string{cfg.Path, opt.Binary, opt.EnvFile}
	for _, j := range cfg.Jobs {
		// The Source says what it reads: local folders the sandbox must
		// keep readable, or else the network.
		if src, ok := j.Files().(importer.LocalSource); ok {
			need = append(need, src.Dirs()...)
		} else {
			p.network = true
		}
		// A remote source may read local files too: an SSH key, known_hosts.
		if src, ok := j.Files().(interface{ LocalPaths() []string }); ok {
			need = append(need, src.LocalPaths()...)
		}
		// Webhooks (notify:) need the network, and DNS, too.
		if len(j.Notify()) > 0 {
			p.network = true
		}
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
		case path == opt.EnvFile:
			// Read by systemd before the sandbox is set up.
		case under(real, "/home", "/root", "/run/user"):
			p.home = append(p.home, path)
		case under(real, "/tmp", "/var/tmp"):
			p.tmp = append(p.tmp, path)
		}
	}
	return p, nil
}

// Notes are what the operator must do before the units can work, as
// found on this machine now.
func (p *Plan) Notes() []string {
	var notes []string
	owner := ""
	if p.opt.User != "" {
		owner = "-o " + p.opt.User + " -g " + p.opt.Group + " "
	}
	for _, d := range p.readWrite {
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			notes = append(notes, fmt.Sprintf("%s does not exist; create it before the first run, systemd refuses to start a service whose ReadWritePaths= are missing:\n  sudo install -d %s%s", d, owner, shellQuote(d)))
		}
	}
	if p.opt.User == "" {
		notes = append(notes, "without --user the services run as root; a system user is safer: sudo adduser --system --group --no-create-home sluice, then --user sluice")
	}
	if _, err := os.Stat(p.opt.Binary); err != nil {
		notes = append(notes, fmt.Sprintf("%s does not exist yet; install sluice there before starting the units", p.opt.Binary))
	}
	return notes
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
