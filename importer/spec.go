package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/importer/notify"
	"github.com/sluice-dev/sluice/models"
)

// Job is one job of config.yaml compiled, once, when the config is
// loaded: the declaration with its defaults filled in and its relative
// paths resolved, and what every import of it uses (its Source, the
// converter of each column, the key, the reject limit).
type Job struct {
	JobConfig `yaml:",inline"`

	source      Source
	format      Format
	settle      time.Duration
	columns     []column // in declaration order
	keyIdx      []int    // indexes into columns, in key order
	rejectLimit rejectLimit
	sync        *syncRules      // mode: sync only
	notify      []notify.Target // top-level, then the job's
	expectEvery time.Duration
	added       []AddedColumn // columns this file's new CSV columns became (columns_policy.extra: add)
}

// column is one declared column: its table column, the CSV header it is
// read from and its converter.
type column struct {
	models.Column
	header string
	conv   *Converter
}

// Files is where the job's files come from.
func (j *Job) Files() Source { return j.source }

// Settle is source.settle, or its default.
func (j *Job) Settle() time.Duration { return j.settle }

// WithFiles returns the job reading the given local files instead of its
// source (sluice import --job socks FILE...).
func (j *Job) WithFiles(paths []string) *Job {
	return j.withSource(newFileList(paths))
}

// withSource returns the job reading through src.
func (j *Job) withSource(src Source) *Job {
	c := *j
	c.source = src
	return &c
}

// Dataset returns the job's table as the database's dialect sees it.
func (j *Job) Dataset(d models.Dialect) *models.Dataset {
	cols := make([]models.Column, len(j.columns))
	for i, c := range j.columns {
		cols[i] = c.Column
	}
	key := make([]string, len(j.keyIdx))
	for i, k := range j.keyIdx {
		key[i] = j.columns[k].Name
	}
	if j.sync != nil && j.sync.column != "" {
		cols = append(cols, j.sync.markColumn())
	}
	ds := models.NewDataset(d, j.Table, cols, key)
	if j.sync != nil {
		ds.Mark = j.sync.column
	}
	return ds
}

// rejectLimit is RejectsConfig.Max parsed: exactly one of the two is used.
type rejectLimit struct {
	count   int
	percent float64 // >= 0 when isPct
	isPct   bool
}

// exceeded reports whether rejected rows out of total break the limit.
func (l rejectLimit) exceeded(rejected, total int64) bool {
	if l.isPct {
		return total > 0 && float64(rejected)*100 > l.percent*float64(total)
	}
	return rejected > int64(l.count)
}

func (l rejectLimit) String() string {
	if l.isPct {
		return strconv.FormatFloat(l.percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(l.count)
}

// plan is a job matched to one file's header: which CSV field feeds which
// column.
type plan struct {
	j       *Job
	cols    []models.Column                       // the table's, for encode
	encode  func(models.Column, any) (any, error) // Dialect.Encode
	foldKey func(string) string                   // Load.KeyFold, for the key filter
	fields  []int                                 // fields[i] is the CSV field index of column i
	headers []string
	extra   []string // CSV headers no column reads
	scope   []any    // the sync scope's values, encoded (see outOfScope)
	missing []string // declared columns' headers the file lacks (columns_policy.missing: null)
}

// newPlan matches the file's header to the declared columns (see
// matchHeader); the job's columns_policy says whether a declared column
// the header lacks, or a CSV column no column reads, fails the file.
func (j *Job) newPlan(path string, header []string, d models.Dialect, ds *models.Dataset) (*plan, error) {
	fields, missing, extra := j.matchHeader(header)
	if err := j.checkHeader(missing, extra, header); err != nil {
		return nil, &FileError{Path: path, Line: 1, Err: err}
	}
	p := &plan{j: j, cols: ds.Columns, encode: d.Encode, fields: fields, headers: header, extra: extra, missing: missing}
	if j.sync != nil {
		for _, sc := range j.sync.scope {
			v, err := d.Encode(ds.Columns[sc.col], sc.value)
			if err != nil {
				return nil, fmt.Errorf("sync.scope.%s: %w", ds.Columns[sc.col].Name, err)
			}
			p.scope = append(p.scope, v)
		}
	}
	return p, nil
}

// matchHeader finds each declared column's field in a header: by exact
// name first, then ignoring case and surrounding spaces, in any order.
// It returns the field of each column (-1: missing), the headers of the
// columns the header lacks, and the headers no column reads.
func (j *Job) matchHeader(header []string) (fields []int, missing, extra []string) {
	fields = make([]int, len(j.columns))
	used := make([]bool, len(header))
	for i, c := range j.columns {
		fields[i] = -1
		for f, h := range header {
			if h == c.header {
				fields[i] = f
				break
			}
		}
		if fields[i] < 0 {
			for f, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), c.header) && !used[f] {
					fields[i] = f
					break
				}
			}
		}
		if fields[i] < 0 {
			missing = append(missing, c.header)
			continue
		}
		used[fields[i]] = true
	}
	for f, h := range header {
		if !used[f] {
			extra = append(extra, h)
		}
	}
	return fields, missing, extra
}

// missingColumns is the error of a header that lacks declared columns.
func missingColumns(missing, header []string) error {
	return fmt.Errorf("header lacks declared column(s) %s (the header has %s)",
		strings.Join(quoteAll(missing), ", "), strings.Join(quoteAll(header), ", "))
}

// convert turns a good record into a row of encoded values, or says
// which cell is bad.
func (p *plan) convert(rec Record, row []any) *RowError {
	for i := range p.fields {
		v, err := p.cell(i, rec)
		if err != nil {
			return &RowError{Line: rec.Line, Column: p.headers[p.fields[i]], Reason: err.Error()}
		}
		row[i] = v
	}
	return nil
}

// cell converts and encodes column i of rec.
func (p *plan) cell(i int, rec Record) (any, error) {
	if p.fields[i] < 0 {
		return nil, nil // missing from the file: columns_policy.missing: null
	}
	v, err := p.j.columns[i].conv.Convert(rec.Fields[p.fields[i]])
	if err != nil || v == nil {
		return v, err
	}
	return p.encode(p.cols[i], v)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
