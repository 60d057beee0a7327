package importer

import (
	"fmt"
	"strings"

	"github.com/sluice-dev/sluice/models"
)

// plan is a job prepared for one file: which CSV field feeds which
// column, and the converter of each column.
type plan struct {
	columns    []models.Column
	encode     func(models.Column, any) (any, error)
	foldKey    func(string) string // Dialect.FoldKey, for the key filter
	fields     []int               // fields[i] is the CSV field index of dataset column i
	headers    []string
	converters []*Converter
	extra      []string // CSV headers no column reads
	keyIdx     []int    // dataset indexes of the key columns, in key order
}

// Dataset returns the job's table as the database's dialect sees it.
func (j *Job) Dataset(d models.Dialect) *models.Dataset {
	cols := make([]models.Column, len(j.Columns))
	key := make([]string, 0, len(j.Key))
	for i, c := range j.Columns {
		mc := models.Column{Name: c.Name, Type: models.Type(c.Type), NotNull: c.Required || j.isKey(c.Name), Key: j.isKey(c.Name)}
		if c.Precision != nil {
			mc.Precision = *c.Precision
		}
		if c.Scale != nil {
			mc.Scale = *c.Scale
		}
		cols[i] = mc
	}
	// Key names as the columns spell them, in key order.
	for _, k := range j.Key {
		for _, c := range j.Columns {
			if strings.EqualFold(c.Name, k) {
				key = append(key, c.Name)
			}
		}
	}
	return models.NewDataset(d, j.Table, cols, key)
}

func (j *Job) isKey(name string) bool {
	for _, k := range j.Key {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// converters builds one Converter per declared column.
func (j *Job) converters() ([]*Converter, error) {
	out := make([]*Converter, len(j.Columns))
	for i, c := range j.Columns {
		spec := ColumnSpec{
			Name: c.Name, Type: models.Type(c.Type), Format: c.Format,
			Required: c.Required, Key: j.isKey(c.Name),
		}
		if c.Precision != nil {
			spec.Precision = *c.Precision
		}
		if c.Scale != nil {
			spec.Scale, spec.ScaleSet = *c.Scale, true
		}
		conv, err := NewConverter(spec)
		if err != nil {
			return nil, err
		}
		out[i] = conv
	}
	return out, nil
}

// newPlan matches the file's header to the declared columns: by exact
// name first, then ignoring case and surrounding spaces, in any order.
func (j *Job) newPlan(path string, header []string, ds *models.Dataset, d models.Dialect) (*plan, error) {
	convs, err := j.converters()
	if err != nil {
		return nil, err
	}
	p := &plan{
		columns: ds.Columns, encode: d.Encode, foldKey: d.FoldKey,
		fields: make([]int, len(j.Columns)), headers: header, converters: convs,
	}
	used := make([]bool, len(header))
	var missing []string
	for i, c := range j.Columns {
		p.fields[i] = -1
		for f, h := range header {
			if h == c.Header() {
				p.fields[i] = f
				break
			}
		}
		if p.fields[i] < 0 {
			for f, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), c.Header()) && !used[f] {
					p.fields[i] = f
					break
				}
			}
		}
		if p.fields[i] < 0 {
			missing = append(missing, fmt.Sprintf("%q", c.Header()))
			continue
		}
		used[p.fields[i]] = true
	}
	if len(missing) > 0 {
		return nil, &FileError{Path: path, Line: 1, Err: fmt.Errorf(
			"header lacks declared column(s) %s (the header has %s)",
			strings.Join(missing, ", "), strings.Join(quoteAll(header), ", "))}
	}
	for f, h := range header {
		if !used[f] {
			p.extra = append(p.extra, h)
		}
	}
	for _, k := range j.Key {
		for i, c := range j.Columns {
			if strings.EqualFold(c.Name, k) {
				p.keyIdx = append(p.keyIdx, i)
			}
		}
	}
	return p, nil
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
	v, err := p.converters[i].Convert(rec.Fields[p.fields[i]])
	if err != nil || v == nil {
		return v, err
	}
	return p.encode(p.columns[i], v)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
