package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/systemd"
	"github.com/sluice-dev/sluice/models"
)

const systemdExamples = `  sluice systemd                                  # print the three units
  sluice systemd --write units --user sluice      # write them into ./units, print the install commands
  sluice systemd --on-calendar '*-*-* 02:30:00'   # one timer schedule instead of the jobs' own
`

func runSystemd(_ context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "systemd", "systemd [--write DIR] [--on-calendar SPEC] [--randomized-delay 5m] [--user NAME[:GROUP]] [--env-file FILE] [--binary PATH]", systemdExamples)
	dir := fs.String("write", "", "write the units into `DIR` (created if missing) instead of printing them")
	var opt systemd.Options
	fs.Func("on-calendar", "the timer's OnCalendar= `SPEC`, verbatim, instead of the jobs' schedules (repeatable)", func(s string) error {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\r\n") {
			return errors.New("want one systemd calendar spec, such as '*-*-* 03:00:00'")
		}
		opt.OnCalendar = append(opt.OnCalendar, s)
		return nil
	})
	fs.DurationVar(&opt.RandomizedDelay, "randomized-delay", 5*time.Minute, "the timer's RandomizedDelaySec= (0 leaves it out)")
	user := fs.String("user", "", "run the services as `NAME` and group NAME, or NAME:GROUP (default root)")
	fs.StringVar(&opt.EnvFile, "env-file", "/etc/sluice/sluice.env", "the EnvironmentFile= the services read DATABASE_URL from")
	fs.StringVar(&opt.Binary, "binary", "", "the sluice executable the units run (default: this one)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if _, err := g.logger(e); err != nil {
		return err
	}
	if opt.RandomizedDelay < 0 {
		return &usageError{msg: "--randomized-delay cannot be negative", hint: "sluice systemd --randomized-delay 5m"}
	}
	if !filepath.IsAbs(opt.EnvFile) {
		return &usageError{msg: fmt.Sprintf("--env-file %q is not an absolute path", opt.EnvFile), hint: "sluice systemd --env-file /etc/sluice/sluice.env"}
	}
	if *user != "" {
		opt.User, opt.Group, _ = strings.Cut(*user, ":")
		if opt.Group == "" {
			opt.Group = opt.User
		}
		if !systemd.ValidAccountName(opt.User) || !systemd.ValidAccountName(opt.Group) {
			return &usageError{msg: fmt.Sprintf("--user %q is not a user name (or NAME:GROUP)", *user), hint: "sluice systemd --user sluice"}
		}
	}
	guessed := opt.Binary == ""
	bin, err := sluiceBinary(opt.Binary)
	if err != nil {
		return err
	}
	opt.Binary = bin
	// The services see the env file, not this shell: load the config as
	// they will.
	senv := systemd.ReadEnvironment(opt.EnvFile, e.lookup)
	cfg, err := importer.LoadConfig(g.config, senv.Lookup)
	if err != nil {
		return err
	}
	opt.RequireEnvFile = senv.Needed()
	target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
	if err != nil {
		return err
	}
	p, err := systemd.PlanUnits(cfg, target, opt)
	var se *systemd.ScheduleError
	if errors.As(err, &se) {
		return &usageError{msg: se.Error(), hint: se.Hint}
	}
	if err != nil {
		return err
	}
	units := p.Units()
	if *dir == "" {
		for i, u := range units {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "# %s\n%s", u.Name, u.Text)
		}
		fmt.Fprintf(e.stderr, "note: install either %s with %s, or %s, not both; --write DIR writes the files and prints the commands\n", systemd.ImportUnit, systemd.TimerUnit, systemd.DaemonUnit)
	} else if err := writeUnits(e, *dir, units); err != nil {
		return err
	}
	notes := append(senv.Notes(cfg), p.Notes()...)
	if guessed && strings.Contains(opt.Binary, "/go-build") {
		notes = append(notes, fmt.Sprintf("%s is a temporary build (go run?); install sluice and pass --binary /usr/local/bin/sluice", opt.Binary))
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

// writeUnits writes the units into dir and tells how to install them.
func writeUnits(e *env, dir string, units []systemd.Unit) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, u := range units {
		path := filepath.Join(dir, u.Name)
		if err := os.WriteFile(path, []byte(u.Text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		// WriteFile's mode yields to the umask, and a file that was
		// there keeps its old mode; systemd wants 0644.
		if err := os.Chmod(path, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", path)
	}
	fmt.Fprintf(e.stdout, "\n%s", systemd.InstallCommands(dir))
	return nil
}
