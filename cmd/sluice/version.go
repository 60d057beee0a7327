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
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	version, revision := "(devel)", ""
	drivers := map[string]string{"github.com/jackc/pgx/v5": "", "github.com/go-sql-driver/mysql": ""}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
		for _, d := range bi.Deps {
			if _, ok := drivers[d.Path]; ok {
				drivers[d.Path] = " " + d.Version
			}
		}
	}
	fmt.Fprintf(e.stdout, "sluice %s", version)
	if revision != "" {
		fmt.Fprintf(e.stdout, " (%.12s)", revision)
	}
	fmt.Fprintf(e.stdout, "\n%s %s/%s, SQLite driver %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, models.SQLiteDriver())
	fmt.Fprintf(e.stdout, "PostgreSQL driver github.com/jackc/pgx/v5%s, MySQL driver github.com/go-sql-driver/mysql%s\n",
		drivers["github.com/jackc/pgx/v5"], drivers["github.com/go-sql-driver/mysql"])
	return nil
}
