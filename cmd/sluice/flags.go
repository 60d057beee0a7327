package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// errHelp is returned when --help was asked for and printed.
var errHelp = errors.New("help shown")

// globals are the flags every command takes.
type globals struct {
	config    string
	logFormat string // "": text
	logLevel  string // "": info, or warnings alone on a terminal
	// structured keeps slog's lines even on a terminal: the daemon's log
	// is read by machines and people alike.
	structured bool
	// consoleSkip drops, on a terminal, log records the command prints
	// itself (see consoleHandler).
	consoleSkip func(slog.Record) bool
}

// newFlagSet returns a flag set with the global flags registered and a
// usage text made of the synopsis and examples.
func newFlagSet(e *env, name, synopsis, examples string) (*flag.FlagSet, *globals) {
	fs := flag.NewFlagSet("sluice "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	g := &globals{}
	def := importer.DefaultConfigPath
	if v, ok := e.lookup("SLUICE_CONFIG"); ok && v != "" {
		def = v
	}
	fs.StringVar(&g.config, "config", def, "config file (env SLUICE_CONFIG)")
	fs.StringVar(&g.logFormat, "log-format", "", "log format: text or json (default text)")
	fs.StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn or error (default info; on a terminal, warnings and errors in short)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: sluice %s\n\n", synopsis)
		fs.PrintDefaults()
		if examples != "" {
			fmt.Fprintf(e.stderr, "\nExamples:\n%s", examples)
		}
	}
	return fs, g
}

// globalFlags are the flags every command takes (see newFlagSet), which
// may also come before the command: sluice --config x.yaml import.
var globalFlags = []string{"config", "log-format", "log-level"}

// splitCommand finds the command in args, moving the global flags given
// before it to after it, where the command's flag set reads them. A "-h"
// or "--help" first is returned as the command.
func splitCommand(args []string) (string, []string, error) {
	var globals []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		if args[0] == "-h" || args[0] == "--help" {
			return args[0], nil, nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !slices.Contains(globalFlags, name) {
			return "", nil, &usageError{
				msg:  fmt.Sprintf("unknown flag %s before the command%s", args[0], didYouMean(name, globalFlags, dashes)),
				hint: "sluice --config config.yaml import (only --config, --log-format and --log-level go before the command)",
			}
		}
		n := 1
		if !hasValue {
			if len(args) < 2 {
				return "", nil, &usageError{msg: "flag needs an argument: " + args[0], hint: "sluice " + args[0] + " VALUE import"}
			}
			n = 2
		}
		globals, args = append(globals, args[:n]...), args[n:]
	}
	if len(args) == 0 {
		if len(globals) > 0 {
			return "", nil, &usageError{msg: "no command after " + strings.Join(globals, " "), hint: "sluice " + strings.Join(globals, " ") + " import"}
		}
		return "", nil, nil
	}
	return args[0], append(globals, args[1:]...), nil
}

// dashes writes a flag's name as the usage does: -n, --config.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parse parses args, turning flag errors into usage errors. Flags may
// come after positional arguments too (sluice import x.csv --job socks),
// as people type them; "--" ends the flags. The positional arguments are
// returned.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if len(args) > 0 && args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		if err := parseQuiet(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return nil, errHelp
			}
			return nil, &usageError{msg: flagError(fs, err), hint: fs.Name() + " --help"}
		}
		// Parse swallows a "--" that ends the flags; everything after it
		// is positional.
		if consumed := args[:len(args)-len(fs.Args())]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(rest, fs.Args()...), nil
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// parseQuiet is fs.Parse without the flag package's own printing of the
// error and the whole usage: the caller says what went wrong, in one line
// with a hint.
func parseQuiet(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.Usage = usage }()
	return fs.Parse(args)
}

// flagError words a flag error, suggesting the flag an unknown one
// probably meant.
func flagError(fs *flag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err.Error()
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return fmt.Sprintf("unknown flag %s%s", dashes(name), didYouMean(name, names, dashes))
}

// parseNoArgs parses args for a command that takes no positional
// arguments: one is a usage error pointing to the command's --help.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", rest[0]), hint: fs.Name() + " --help"}
	}
	return nil
}

// logger builds the slog logger the flags ask for, writing to w.
func (g *globals) logger(e *env) (*slog.Logger, error) {
	if g.logLevel == "" && g.logFormat == "" && !g.structured && isTerminal(e.stderr) {
		log := slog.New(newConsoleHandler(e.stderr, g.consoleSkip))
		models.SetDriverLog(log)
		return log, nil
	}
	levelName, format := cmp.Or(g.logLevel, "info"), cmp.Or(g.logFormat, "text")
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelName)); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("bad --log-level %q", g.logLevel), hint: "--log-level info"}
	}
	opts := &slog.HandlerOptions{Level: level}
	w := e.stderr
	var log *slog.Logger
	switch strings.ToLower(format) {
	case "text":
		if _, journal := e.lookup("JOURNAL_STREAM"); journal {
			// Under systemd the journal stamps every line itself.
			opts.ReplaceAttr = dropTime
		}
		log = slog.New(slog.NewTextHandler(w, opts))
	case "json":
		log = slog.New(slog.NewJSONHandler(w, opts))
	default:
		return nil, &usageError{msg: fmt.Sprintf("bad --log-format %q (want text or json)", g.logFormat), hint: "--log-format json"}
	}
	models.SetDriverLog(log)
	return log, nil
}

// dropTime removes the record's time from a log line.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// setup loads the config and opens its database: the start of every
// command that touches data.
func (g *globals) setup(ctx context.Context, e *env) (*importer.ConfigFile, *models.DB, *slog.Logger, error) {
	log, err := g.logger(e)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := importer.LoadConfig(g.config, e.lookup)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := models.Open(ctx, cfg.Database.URL, cfg.Dir())
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, db, log, nil
}
