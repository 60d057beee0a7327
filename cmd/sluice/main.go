// Command sluice imports CSV dumps into a SQL database: once from the
// shell (sluice import), and later on cron schedules. main only picks the
// command and maps errors to exit codes; the work lives in importer and
// models.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// Exit codes, documented in README.md.
const (
	exitOK     = 0
	exitFailed = 1 // a file failed to import, or a check failed
	exitUsage  = 2 // bad command line or config
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, lookup: os.LookupEnv})
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world, so tests can run
// commands in-process.
type env struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

// command is one subcommand: it parses its own flags and does its work.
type command struct {
	name     string
	synopsis string
	run      func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"import", "import CSV files now (all jobs, one job, or given files)", runImport},
		{"daemon", "run every job on its cron schedule until stopped", runDaemon},
		{"check", "check the database connection and every job's table", runCheck},
		{"history", "list recent runs from the ledger", runHistory},
		{"models", "print the Flask-SQLAlchemy models.py of the jobs' tables", runModels},
		{"systemd", "print or write systemd units for the import timer and the daemon", runSystemd},
		{"version", "print the version and the database drivers", runVersion},
	}
}

func run(ctx context.Context, args []string, e *env) int {
	name, args, err := splitCommand(args)
	if err != nil {
		return exitCode(e, err)
	}
	if name == "" || name == "-h" || name == "--help" || name == "help" {
		usage(e.stderr)
		if name == "" {
			return exitUsage
		}
		return exitOK
	}
	var names []string
	for _, c := range commands() {
		if c.name == name {
			return exitCode(e, c.run(ctx, e, args))
		}
		names = append(names, c.name)
	}
	fmt.Fprintf(e.stderr, "sluice: unknown command %q%s\n\n", name, didYouMean(name, names, func(s string) string { return s }))
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sluice imports CSV dumps into a SQL database, exactly once per file.")
	fmt.Fprintln(w, "\nUsage: sluice <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.synopsis)
	}
	fmt.Fprintln(w, "\nRun 'sluice <command> --help' for a command's flags and examples.")
}

// usageError is a mistake on the command line; main prints it with a hint
// and exits 2.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

// errFailed means the command already reported what went wrong (a file
// failed, a check failed); main only sets the exit code.
var errFailed = errors.New("failed")

func exitCode(e *env, err error) int {
	var ue *usageError
	var ce *importer.ConfigError
	var urlErr *models.URLError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFailed):
		return exitFailed
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "sluice: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(e.stderr, "Try: %s\n", ue.hint)
		}
		return exitUsage
	case errors.As(err, &ce), errors.As(err, &urlErr):
		fmt.Fprintf(e.stderr, "sluice: config error: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "sluice: %v\n", err)
		return exitFailed
	}
}
