package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/appmodels"
	"github.com/sluice-dev/sluice/models"
)

const modelsExamples = `  sluice models > models.py                       # every job's table, for DATABASE_URL's database
  sluice models --job socks                       # one job's table
  sluice models --db-from app.extensions          # models.py imports the app's own db
  DATABASE_URL=postgresql://localhost/shop sluice models > models.py

  Then, in the app:
    from models import db, include_object, Sock
    db.init_app(app)
    Migrate(app, db, include_object=include_object)   # Flask-Migrate
`

// pythonModuleRE is a dotted Python module name (app.extensions).
var pythonModuleRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// runModels prints the Flask-SQLAlchemy models of the jobs' tables, with
// the types sluice gives them on the configured database; it reads the
// URL but never connects.
func runModels(_ context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "models", "models [--job NAME] [--db-from MODULE]", modelsExamples)
	job := fs.String("job", "", "only this job's table")
	dbFrom := fs.String("db-from", "", "import db from the app's `MODULE` instead of defining db = SQLAlchemy()")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if _, err := g.logger(e); err != nil {
		return err
	}
	if *dbFrom != "" && !pythonModuleRE.MatchString(*dbFrom) {
		return &usageError{msg: fmt.Sprintf("--db-from %q is not a Python module name", *dbFrom), hint: "sluice models --db-from app.extensions"}
	}
	cfg, err := importer.LoadConfig(g.config, e.lookup)
	if err != nil {
		return err
	}
	jobs := cfg.Jobs
	if *job != "" {
		j, err := cfg.Job(*job)
		if err != nil {
			return &usageError{msg: err.Error(), hint: "sluice models --job " + cfg.Jobs[0].Name}
		}
		jobs = []*importer.Job{j}
	}
	target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
	if err != nil {
		return err
	}
	text, err := appmodels.Generate(jobs, target, appmodels.Options{Config: filepath.Base(cfg.Path), DBModule: *dbFrom})
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(text)
	return err
}
