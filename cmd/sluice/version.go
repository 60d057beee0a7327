package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/sluice-dev/sluice/models"
)

func runVersion(ctx context.Context, e *env, args []string) error {
	fs, _ := newFlagSet(e, "version", "version", "  sluice version\n")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", rest[0]), hint: "sluice version --help"}
	}
	version, revision := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	fmt.Fprintf(e.stdout, "sluice %s", version)
	if revision != "" {
		fmt.Fprintf(e.stdout, " (%.12s)", revision)
	}
	fmt.Fprintf(e.stdout, "\n%s %s/%s, SQLite driver %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, models.SQLiteDriver())
	return nil
}
