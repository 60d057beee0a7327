package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

const checkExamples = `  sluice check
  DATABASE_URL=sqlite:////srv/app/app.db sluice check
`

// runCheck is the seed's test route (SELECT 1, then "It works.") plus a
// look at every job's table, so a timer never finds out at 03:00.
func runCheck(ctx context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "check", "check", checkExamples)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	// check logs nothing, but a bad --log-level is still a usage error.
	if _, err := g.logger(e); err != nil {
		return err
	}
	cfg, err := importer.LoadConfig(g.config, e.lookup)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "config %s: %d job(s)\n", cfg.Path, len(cfg.Jobs))
	db, err := models.Open(ctx, cfg.Database.URL, cfg.Dir())
	if err != nil {
		var ue *models.URLError
		if errors.As(err, &ue) {
			return err
		}
		printDBError(e.stdout, "database: cannot connect: ", err)
		return errFailed
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		printDBError(e.stdout, "", models.Diagnose(db.Target, err))
		return errFailed
	}
	fmt.Fprintf(e.stdout, "database %s (%s): SELECT 1 ok\n", db.Target, db.Dialect.Name())
	fmt.Fprintf(e.stdout, "database: rows are loaded with %s\n", db.Dialect.Describe())
	tables := make([]*models.Dataset, len(cfg.Jobs))
	for i, j := range cfg.Jobs {
		tables[i] = j.Dataset(db.Dialect)
	}
	if err := db.CheckPrivileges(ctx, tables); err != nil {
		printDBError(e.stdout, "", err)
		return errFailed
	}
	fmt.Fprintf(e.stdout, "database: may create tables, insert and update\n")
	ok := true
	for i, j := range cfg.Jobs {
		// Both halves, whatever the first finds: one run lists all that
		// is wrong.
		tableOK := checkTable(ctx, e.stdout, db, j, tables[i])
		filesOK := checkFiles(ctx, e.stdout, j)
		ok = ok && tableOK && filesOK
	}
	// Overdue is news, not a fault of the setup: it does not fail check.
	if err := printWatch(ctx, e.stdout, db, cfg.Jobs, time.Now()); err != nil {
		printDBError(e.stdout, "", err)
		return errFailed
	}
	if !ok {
		return errFailed
	}
	fmt.Fprintln(e.stdout, "It works.")
	return nil
}

// checkTable reports how the job's table would take the import.
func checkTable(ctx context.Context, w io.Writer, db *models.DB, j *importer.Job, ds *models.Dataset) bool {
	st, err := db.TableStatus(ctx, ds)
	switch {
	case err != nil:
		fmt.Fprintf(w, "job %s: cannot %v\n", j.Name, err)
		return false
	case !st.Exists:
		fmt.Fprintf(w, "job %s: table %s does not exist yet; sluice import will create it with the primary key (%s)\n",
			j.Name, ds.Table, strings.Join(ds.Key, ", "))
		return true
	case st.Problem != nil:
		fmt.Fprintf(w, "job %s: %v\n", j.Name, st.Problem)
		return false
	}
	key := "unique key"
	if slices.EqualFunc(st.PrimaryKey, ds.Key, strings.EqualFold) {
		key = "primary key"
	}
	fmt.Fprintf(w, "job %s: table %s ok (%d columns, %s (%s))\n", j.Name, ds.Table, st.Columns, key, strings.Join(ds.Key, ", "))
	if st.AddPrimaryKey != "" {
		// It imports, but an app reflecting it cannot map it.
		fmt.Fprintf(w, "job %s: table %s has no primary key, so an ORM that reflects it (SQLAlchemy's automap, db.reflect()) cannot map it; %s\n",
			j.Name, ds.Table, st.AddPrimaryKey)
	}
	ok := true
	if len(st.Unfilled) > 0 {
		fmt.Fprintf(w, "job %s: table %s has NOT NULL column(s) %s without a default, which the job does not fill: every new key would fail the file; declare them in the job, or give them a default\n",
			j.Name, ds.Table, strings.Join(st.Unfilled, ", "))
		ok = false
	}
	for _, n := range st.Narrower {
		declared := "declares no precision"
		if n.Declared > 0 {
			declared = fmt.Sprintf("declares precision %d, scale %d", n.Declared, n.DeclaredScale)
		}
		fmt.Fprintf(w, "job %s: column %s is DECIMAL(%d,%d) in table %s, but the job %s: a value that does not fit would fail the file or be rounded; declare precision: %d, scale: %d to reject it instead\n",
			j.Name, n.Column, n.Precision, n.Scale, ds.Table, declared, n.Precision, n.Scale)
		ok = false
	}
	return ok
}

// checkFiles reads the header of each of the job's files as an import
// would: a declared column missing fails; columns no column reads are
// said once, with how many files have them.
func checkFiles(ctx context.Context, w io.Writer, j *importer.Job) bool {
	files, err := j.CheckFiles(ctx)
	if err != nil {
		fmt.Fprintf(w, "job %s: %v\n", j.Name, err)
		return false
	}
	fmt.Fprintf(w, "job %s: %d file(s) match %s\n", j.Name, len(files), displayPath(j.Files().String()))
	if _, local := j.Files().(importer.LocalSource); !local {
		// A remote listing is not in front of the operator: say it.
		for _, f := range files {
			fmt.Fprintf(w, "job %s:   %s\n", j.Name, describeRemote(f.File))
		}
	}
	ok := true
	extra := map[string]int{}
	var order []string
	for _, f := range files {
		if f.Err != nil {
			fmt.Fprintf(w, "job %s: %v\n", j.Name, f.Err)
			ok = false
		}
		for _, h := range f.Extra {
			if extra[h] == 0 {
				order = append(order, h)
			}
			extra[h]++
		}
	}
	for _, h := range order {
		fmt.Fprintf(w, "job %s: CSV column %q in %d of %d file(s) is read by no column, and ignored\n", j.Name, h, extra[h], len(files))
	}
	return ok
}

// describeRemote is a remote file as its server lists it.
func describeRemote(f importer.File) string {
	var about []string
	if f.Size >= 0 {
		about = append(about, fmt.Sprintf("%d bytes", f.Size))
	}
	if !f.ModTime.IsZero() {
		about = append(about, "modified "+f.ModTime.UTC().Format(time.RFC3339))
	}
	if f.ETag != "" {
		about = append(about, "ETag "+f.ETag)
	}
	if len(about) == 0 {
		return f.Name
	}
	return f.Name + " (" + strings.Join(about, ", ") + ")"
}

// printDBError prints a database problem as the operator should read
// it: what is wrong, what to do, then the server's own words.
func printDBError(w io.Writer, prefix string, err error) {
	var se *models.ServerError
	if !errors.As(err, &se) {
		fmt.Fprintf(w, "%s%v\n", prefix, err)
		return
	}
	fmt.Fprintf(w, "database %s: %s\n  hint: %s\n  detail: %s\n", se.Target, se.Problem, se.Hint, se.Detail())
}
