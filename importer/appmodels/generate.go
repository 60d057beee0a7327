package appmodels

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// Options are what the caller decides about models.py rather than the
// config.
type Options struct {
	// Config names the config file in the header comment (config.yaml).
	Config string
	// DBModule, when set, is the Python module models.py imports db from
	// (from app.extensions import db), for an app that has its own
	// SQLAlchemy(); empty defines db = SQLAlchemy() in models.py.
	DBModule string
}

// ledgerTables are the tables sluice keeps for itself.
var ledgerTables = []string{"sluice_runs", "sluice_schema"}

// model is one class of models.py: one table, written by one or more
// jobs that declare it alike.
type model struct {
	class string
	ds    *models.Dataset
	jobs  []string
	cols  []column
}

// column is one db.Column line.
type column struct {
	attr string // the Python attribute
	name string // the database column
	typ  saType
	key  bool
	// notNull: NOT NULL outside the key (the key's columns are NOT NULL
	// as the primary key).
	notNull bool
}

// Generate returns models.py for jobs' tables as sluice creates them on
// target's database. Two jobs may share a table only if they declare it
// alike; otherwise no single class describes it and Generate says which.
func Generate(jobs []*importer.Job, target models.Target, opt Options) ([]byte, error) {
	d := target.Dialect()
	if d == nil {
		return nil, fmt.Errorf("appmodels: target %s has no dialect", target)
	}
	var ms []*model
	byTable := map[string]*model{}
	classes := map[string]bool{}
	for _, j := range jobs {
		ds := j.Dataset(d)
		if m := byTable[ds.Table]; m != nil {
			if !sameTable(m.ds, ds) {
				return nil, fmt.Errorf("jobs %s and %s both import into table %s but declare it differently (columns, types, key or required); models.py needs one declaration of a table: make them agree, or pass --job",
					m.jobs[0], j.Name, ds.Table)
			}
			m.jobs = append(m.jobs, j.Name)
			continue
		}
		m := &model{class: uniqueName(className(ds.Table), classes), ds: ds, jobs: []string{j.Name}}
		attrs := map[string]bool{}
		for _, c := range ds.Columns {
			t, err := sqlalchemyType(target.Driver, d.ColumnType(c), c)
			if err != nil {
				return nil, fmt.Errorf("job %s: table %s: %w", j.Name, ds.Table, err)
			}
			m.cols = append(m.cols, column{attr: attrName(c.Name, attrs), name: c.Name, typ: t, key: c.Key, notNull: c.NotNull && !c.Key})
		}
		byTable[ds.Table] = m
		ms = append(ms, m)
	}
	w := &writer{driver: target.Driver, opt: opt}
	return w.file(ms), nil
}

// sameTable reports whether two jobs declare one table alike.
func sameTable(a, b *models.Dataset) bool {
	return slices.Equal(a.Key, b.Key) && slices.Equal(a.Columns, b.Columns)
}

// uniqueName returns name, or name2, name3… when it is taken.
func uniqueName(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = name + strconv.Itoa(i)
	}
	taken[n] = true
	return n
}

// keyIndexes are the names of the unique index an earlier release put on
// each table's key (see models.Dataset.KeyIndexName).
func keyIndexes(ms []*model) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ds.KeyIndexName())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// commentSafe keeps a value from ending the comment line it is put in.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return '?'
		}
		return r
	}, s)
}
