package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

const systemdExamples = `  sluice systemd                                  # print the three units
  sluice systemd --write units --user sluice      # write them into ./units, print the install commands
  sluice systemd --on-calendar '*-*-* 02:30:00'   # one timer schedule instead of the jobs' own
`

const (
	importUnit = "sluice-import.service"
	timerUnit  = "sluice-import.timer"
	daemonUnit = "sluice.service"
)

// unitOptions are what the command line decides in the units.
type unitOptions struct {
	binary, envFile string
	user, group     string // both empty: the services run as root
	onCalendar      []string
	randomizedDelay time.Duration
}

// unit is one generated unit file.
type unit struct{ name, text string }

func runSystemd(_ context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "systemd", "systemd [--write DIR] [--on-calendar SPEC] [--randomized-delay 5m] [--user NAME[:GROUP]] [--env-file FILE] [--binary PATH]", systemdExamples)
	dir := fs.String("write", "", "write the units into `DIR` (created if missing) instead of printing them")
	var opt unitOptions
	fs.Func("on-calendar", "the timer's OnCalendar= `SPEC`, verbatim, instead of the jobs' schedules (repeatable)", func(s string) error {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\r\n") {
			return errors.New("want one systemd calendar spec, such as '*-*-* 03:00:00'")
		}
		opt.onCalendar = append(opt.onCalendar, s)
		return nil
	})
	fs.DurationVar(&opt.randomizedDelay, "randomized-delay", 5*time.Minute, "the timer's RandomizedDelaySec= (0 leaves it out)")
	user := fs.String("user", "", "run the services as `NAME` and group NAME, or NAME:GROUP (default root)")
	fs.StringVar(&opt.envFile, "env-file", "/etc/sluice/sluice.env", "the EnvironmentFile= the services read DATABASE_URL from")
	fs.StringVar(&opt.binary, "binary", "", "the sluice executable the units run (default: this one)")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", rest[0]), hint: "sluice systemd --help"}
	}
	if _, err := g.logger(e); err != nil {
		return err
	}
	if opt.randomizedDelay < 0 {
		return &usageError{msg: "--randomized-delay cannot be negative", hint: "sluice systemd --randomized-delay 5m"}
	}
	if !filepath.IsAbs(opt.envFile) {
		return &usageError{msg: fmt.Sprintf("--env-file %q is not an absolute path", opt.envFile), hint: "sluice systemd --env-file /etc/sluice/sluice.env"}
	}
	if *user != "" {
		opt.user, opt.group, _ = strings.Cut(*user, ":")
		if opt.group == "" {
			opt.group = opt.user
		}
		if !unitName(opt.user) || !unitName(opt.group) {
			return &usageError{msg: fmt.Sprintf("--user %q is not a user name (or NAME:GROUP)", *user), hint: "sluice systemd --user sluice"}
		}
	}
	guessed := opt.binary == ""
	bin, err := sluiceBinary(opt.binary)
	if err != nil {
		return err
	}
	opt.binary = bin
	// The services see the env file, not this shell: load the config as
	// they will, falling back to the shell for what the file (often root's
	// alone) does not say.
	fileEnv := readEnvFile(opt.envFile)
	var fromShell []string // what the services will not see
	lookup := func(name string) (string, bool) {
		if v, ok := fileEnv[name]; ok {
			return v, true
		}
		v, ok := e.lookup(name)
		if v != "" && !slices.Contains(fromShell, name) {
			fromShell = append(fromShell, name)
		}
		return v, ok
	}
	cfg, err := importer.LoadConfig(g.config, lookup)
	if err != nil {
		return err
	}
	target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
	if err != nil {
		return err
	}
	p, err := planUnits(cfg, target, opt)
	if err != nil {
		return err
	}
	units := p.units()
	if *dir == "" {
		for i, u := range units {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "# %s\n%s", u.name, u.text)
		}
		fmt.Fprintf(e.stderr, "note: install either %s with %s, or %s, not both; --write DIR writes the files and prints the commands\n", importUnit, timerUnit, daemonUnit)
	} else if err := writeUnits(e, *dir, units); err != nil {
		return err
	}
	notes := append(envNotes(cfg, opt.envFile, fileEnv, fromShell), p.notes()...)
	if guessed && strings.Contains(opt.binary, "/go-build") {
		notes = append(notes, fmt.Sprintf("%s is a temporary build (go run?); install sluice and pass --binary /usr/local/bin/sluice", opt.binary))
	}
	for _, n := range notes {
		fmt.Fprintf(e.stderr, "note: %s\n", n)
	}
	return nil
}

// sluiceBinary is the absolute path the units run: --binary as given (a
// symlink such as /usr/local/bin/sluice survives upgrades), or this
// executable with its symlinks resolved.
func sluiceBinary(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("find the sluice executable: %w (pass --binary)", err)
	}
	return exe, nil
}

// unitName reports whether s can be a User= or Group= value as written.
func unitName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == ':' })
}

func writeUnits(e *env, dir string, units []unit) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	paths := map[string]string{}
	for _, u := range units {
		path := filepath.Join(dir, u.name)
		if err := os.WriteFile(path, []byte(u.text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		// WriteFile's mode yields to the umask, and a file that was
		// there keeps its old mode; systemd wants 0644.
		if err := os.Chmod(path, 0o644); err != nil {
			return err
		}
		paths[u.name] = shellQuote(path)
		fmt.Fprintf(e.stdout, "wrote %s\n", path)
	}
	const then = " /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now "
	fmt.Fprintf(e.stdout, "\nInstall one of the two, not both (they would run the same imports):\n\n")
	fmt.Fprintf(e.stdout, "  Scheduled imports (the timer starts sluice import):\n    sudo cp %s %s%s%s\n\n", paths[importUnit], paths[timerUnit], then, timerUnit)
	fmt.Fprintf(e.stdout, "  Or the daemon (it runs the jobs on their schedules itself):\n    sudo cp %s%s%s\n", paths[daemonUnit], then, daemonUnit)
	return nil
}

// readEnvFile reads the KEY=VALUE lines of a systemd EnvironmentFile;
// nil when it cannot be read (it is often root's alone, mode 0600).
func readEnvFile(path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok || line[0] == '#' || line[0] == ';' {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[strings.TrimSpace(k)] = v
	}
	return vars
}

// databaseURLVarRE matches ${DATABASE_URL} and ${DATABASE_URL:-default},
// not the escaped $${DATABASE_URL}.
var databaseURLVarRE = regexp.MustCompile(`(^|[^$])\$\{DATABASE_URL(\}|:-)`)

// envNotes tells the operator what must go into the env file: the
// variables the config was loaded with that came from this shell, which
// the services will not have. Values are never printed, but for the
// DATABASE_URL line, redacted.
func envNotes(cfg *importer.Config, envFile string, fileEnv map[string]string, fromShell []string) []string {
	there := "put it there"
	if _, err := os.Stat(envFile); err == nil && fileEnv == nil {
		there = "sluice cannot read it to check: make sure it is there"
	}
	var notes, others []string
	for _, name := range fromShell {
		if name != "DATABASE_URL" {
			others = append(others, name+"=…")
			continue
		}
		url, redacted := cfg.Database.URL, models.Redact(cfg.Database.URL)
		hint := ""
		if redacted != url {
			hint = " with the real password for xxxxx"
		}
		notes = append(notes, fmt.Sprintf("the database URL comes from DATABASE_URL; the units only name %s, so %s (mode 0600)%s:\n  DATABASE_URL=%s", envFile, there, hint, redacted))
	}
	if len(others) > 0 {
		notes = append(notes, fmt.Sprintf("the config takes %s from this shell; the services only have what %s holds, so add them there", strings.Join(others, " "), envFile))
	}
	raw := rawDatabaseURL(cfg.Path)
	switch {
	case slices.Contains(fromShell, "DATABASE_URL") || fileEnv["DATABASE_URL"] != "":
	case databaseURLVarRE.MatchString(raw):
		// Unset, so it has a default: LoadConfig refuses it otherwise.
		notes = append(notes, fmt.Sprintf("database.url uses ${DATABASE_URL}, which the services read from %s; without it there they use the default, %s", envFile, models.Redact(cfg.Database.URL)))
	case literalPassword(raw):
		notes = append(notes, fmt.Sprintf("%s holds the database password; the units do not copy it, but url: ${DATABASE_URL} there and DATABASE_URL=… in %s would keep it out of the config", cfg.Path, envFile))
	}
	return notes
}

// literalPassword reports whether a URL as written in the config spells
// out a password, rather than taking it from a ${VAR}.
func literalPassword(raw string) bool {
	_, rest, ok := strings.Cut(raw, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return false
	}
	_, pw, has := strings.Cut(rest[:at], ":")
	return has && pw != "" && !strings.Contains(pw, "${")
}

// rawDatabaseURL is database.url as written in the config, before ${VAR}
// expansion.
func rawDatabaseURL(path string) string {
	var raw struct {
		Database struct {
			URL string `yaml:"url"`
		} `yaml:"database"`
	}
	data, err := os.ReadFile(path)
	if err != nil || yaml.Unmarshal(data, &raw) != nil {
		return ""
	}
	return raw.Database.URL
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("/._-+,:@=%", r)))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
