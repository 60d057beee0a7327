package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// SyncConfig is the sync: block of a job in mode: sync, where each file is
// a full dump: rows of the table whose key the file lacks are gone.
type SyncConfig struct {
	// Missing is delete (the default) or mark.
	Missing string `yaml:"missing"`
	// Column is mark's timestamp column: set to the import's time on a
	// row gone from the file, cleared when the row comes back. Created
	// (nullable) when sluice creates the table.
	Column string `yaml:"column"`
	// MaxMissing guards against a partial dump: a count ("500") or a share
	// ("5%") of the table's rows the dump covers; more gone fails the file.
	MaxMissing string `yaml:"max_missing"`
	// Scope narrows the dump to the table's rows with these column values
	// (one region, one warehouse): the file's rows outside it are rejects,
	// the table's are never touched.
	Scope map[string]string `yaml:"scope"`
}

const defaultMaxMissing = "10%"

// syncRules is the sync: block compiled.
type syncRules struct {
	missing models.Missing
	column  string
	max     rejectLimit
	scope   []scopeRule // in column order
}

// scopeRule is one column of the scope and its converted value.
type scopeRule struct {
	col   int // index into Job.columns
	value any
}

func (s SyncConfig) isZero() bool {
	return s.Missing == "" && s.Column == "" && s.MaxMissing == "" && len(s.Scope) == 0
}

// compileSync checks the sync: block against the mode and the declared
// columns, and fills in its defaults.
func (j *Job) compileSync(s *SyncConfig, mode models.Mode, fail failFunc) error {
	if mode != models.ModeSync {
		if !s.isZero() {
			return fail("sync", "is only read in mode: sync (the mode is %s)", mode)
		}
		return nil
	}
	r := &syncRules{missing: models.Missing(s.Missing)}
	switch r.missing {
	case "":
		r.missing, s.Missing = models.MissingDelete, string(models.MissingDelete)
	case models.MissingDelete, models.MissingMark:
	default:
		return fail("sync.missing", "unknown value %q (want delete or mark)", s.Missing)
	}
	if err := j.compileMarkColumn(s, r, fail); err != nil {
		return err
	}
	if s.MaxMissing == "" {
		s.MaxMissing = defaultMaxMissing
	}
	max, err := parseLimit(s.MaxMissing)
	if err != nil {
		return fail("sync.max_missing", "%v", err)
	}
	r.max = max
	for i, c := range j.columns {
		v, ok := s.Scope[c.Name]
		if !ok {
			continue
		}
		conv, err := c.conv.Convert(v)
		if err != nil || conv == nil {
			if err == nil {
				err = fmt.Errorf("is empty")
			}
			return fail("sync.scope."+c.Name, "%q: %v", v, err)
		}
		r.scope = append(r.scope, scopeRule{col: i, value: conv})
	}
	if len(r.scope) != len(s.Scope) {
		for name := range s.Scope {
			if !slices.ContainsFunc(j.columns, func(c column) bool { return c.Name == name }) {
				return fail("sync.scope", "%q is not a declared column", name)
			}
		}
	}
	j.sync = r
	return nil
}

func (j *Job) compileMarkColumn(s *SyncConfig, r *syncRules, fail failFunc) error {
	if r.missing != models.MissingMark {
		if s.Column != "" {
			return fail("sync.column", "is only used by missing: mark")
		}
		return nil
	}
	switch {
	case s.Column == "":
		return fail("sync.column", "missing: mark needs the timestamp column it sets (such as deleted_at)")
	case !identRE.MatchString(s.Column):
		return fail("sync.column", "%q is not a valid column name", s.Column)
	case slices.ContainsFunc(j.columns, func(c column) bool { return strings.EqualFold(c.Name, s.Column) }):
		return fail("sync.column", "%q is a declared column; mark needs a column of its own that no CSV column feeds", s.Column)
	}
	r.column = s.Column
	return nil
}

// markColumn is the column mark sets, as the table has it.
func (r *syncRules) markColumn() models.Column {
	return models.Column{Name: r.column, Type: models.Timestamp}
}

// width is how many values a row of the job's table has: the declared
// columns, and mark's column, always NULL in the rows written.
func (j *Job) width() int {
	if j.sync != nil && j.sync.column != "" {
		return len(j.columns) + 1
	}
	return len(j.columns)
}

// syncSpec is what the load of one file does with rows the file lacks;
// nil for a job not in mode: sync. at is the import's start, which mark
// writes.
func (j *Job) syncSpec(d models.Dialect, ds *models.Dataset, at time.Time) (*models.SyncSpec, error) {
	if j.sync == nil {
		return nil, nil
	}
	spec := &models.SyncSpec{Missing: j.sync.missing, Column: j.sync.column, At: at}
	for _, sc := range j.sync.scope {
		v, err := d.Encode(ds.Columns[sc.col], sc.value)
		if err != nil {
			return nil, fmt.Errorf("sync.scope.%s: %w", ds.Columns[sc.col].Name, err)
		}
		spec.Scope = append(spec.Scope, models.ScopeValue{Column: ds.Columns[sc.col].Name, Value: v})
	}
	return spec, nil
}

// outOfScope says why a converted row is outside the sync's scope; nil
// when it is inside (or there is no scope).
func (p *plan) outOfScope(line int, values []any) *RowError {
	if p.j.sync == nil {
		return nil
	}
	for i, sc := range p.j.sync.scope {
		if !sameValue(values[sc.col], p.scope[i]) {
			c := p.j.columns[sc.col]
			return &RowError{Line: line, Column: p.headers[p.fields[sc.col]], Reason: fmt.Sprintf(
				"%s is %v, outside this dump's sync.scope (%s: %v); the row is not imported",
				c.Name, scopeValue(values[sc.col]), c.Name, scopeValue(p.scope[i]))}
		}
	}
	return nil
}

// sameValue compares two encoded values exactly.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}

// scopeValue is v as a scope message shows it: NULL as "empty".
func scopeValue(v any) any {
	if v == nil {
		return "empty"
	}
	return v
}

// rejectKey returns the key values of a rejected record, read as the
// import reads them, in a row of the table's width; or the error that
// fails the file when they cannot be read: a sync cannot tell which row
// of the table such a line stands for, and must not take it for gone.
func (pr *producer) rejectKey(e *RowError, rec Record, values []any) error {
	if rec.Err != nil {
		return fmt.Errorf("%s line %d: mode: sync cannot read the key of this rejected row (%s), so it cannot tell which row of the table the line stands for; nothing was imported (fix the line; see %s)",
			pr.rd.path, rec.Line, e.Reason, pr.rejects.Path())
	}
	for _, i := range pr.p.j.keyIdx {
		v, err := pr.p.cell(i, rec)
		if err == nil && v == nil {
			err = fmt.Errorf("it is empty")
		}
		if err != nil {
			return fmt.Errorf("%s line %d: mode: sync cannot read the key of this rejected row (column %s: %v), so it cannot tell which row of the table the line stands for; nothing was imported (fix the line; see %s)",
				pr.rd.path, rec.Line, pr.p.headers[pr.p.fields[i]], err, pr.rejects.Path())
		}
		values[i] = v
	}
	return nil
}

// checkSyncEmpty refuses a sync of a file without a good row: an empty
// dump is a failed export far more often than an empty table.
func (fl *fileLoad) checkSyncEmpty() error {
	if fl.j.sync == nil || fl.res.Rows > fl.res.Rejected {
		return nil
	}
	return fmt.Errorf("%s: no rows to import (%d read, %d rejected), and mode: sync would take every row of %s for gone; nothing was imported",
		fl.f.Name, fl.res.Rows, fl.res.Rejected, fl.j.Table)
}

// checkSyncMissing is the guard against a partial dump: more rows gone
// than sync.max_missing allows fails the file, before anything commits.
func (fl *fileLoad) checkSyncMissing() error {
	if fl.j.sync == nil {
		return nil
	}
	gone, base := fl.res.Counts.Deleted, fl.load.SyncBase()
	if !fl.j.sync.max.exceeded(gone, base) {
		return nil
	}
	what := "deleted"
	if fl.j.sync.missing == models.MissingMark {
		what = "marked"
	}
	return fmt.Errorf("%s: %d of the %d rows of %s the dump covers (%.1f%%) are not in the file and would be %s, more than sync.max_missing %s allows; nothing was imported (if the dump really is that much smaller, raise sync.max_missing)",
		fl.f.Name, gone, base, fl.j.Table, 100*float64(gone)/float64(max(base, 1)), what, fl.j.sync.max)
}
