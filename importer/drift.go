package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-dev/sluice/importer/infer"
	"github.com/sluice-dev/sluice/importer/notify"
	"github.com/sluice-dev/sluice/models"
)

// ColumnsPolicy is a job's columns_policy: what a file whose header is
// not the declared columns does. A dump that gains or loses a column is
// the usual surprise of next month.
type ColumnsPolicy struct {
	// Extra is for a CSV column no declared column reads: "ignore" it
	// with a warning (the default), "fail" the file, or "add" it to the
	// table, its type inferred from the file.
	Extra policyWord `yaml:"extra"`
	// Missing is for a declared column the header lacks: "fail" the file
	// (the default) or read it as "null" (never for the key or a
	// required column).
	Missing policyWord `yaml:"missing"`
}

// policyWord is one columns_policy value.
type policyWord string

// UnmarshalYAML reads the policy's words as written: YAML would read
// missing: null as no value at all, which is the default, fail.
func (p *ColumnsPolicy) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: columns_policy is a mapping: {extra: ignore, missing: fail}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: columns_policy.%s is one word", v.Line, k.Value)
		}
		w := policyWord(strings.ToLower(strings.TrimSpace(v.Value)))
		if w == "~" {
			w = MissingNull
		}
		switch k.Value {
		case "extra":
			p.Extra = w
		case "missing":
			p.Missing = w
		default:
			return fmt.Errorf("line %d: unknown key %q in columns_policy (extra, missing)", k.Line, k.Value)
		}
	}
	return nil
}

// The columns_policy values.
const (
	ExtraIgnore policyWord = "ignore"
	ExtraFail   policyWord = "fail"
	ExtraAdd    policyWord = "add"
	MissingFail policyWord = "fail"
	MissingNull policyWord = "null"
)

// compile checks the policy and fills in its defaults.
func (p *ColumnsPolicy) compile(fail failFunc) error {
	switch p.Extra {
	case "":
		p.Extra = ExtraIgnore
	case ExtraIgnore, ExtraFail, ExtraAdd:
	default:
		return fail("columns_policy.extra", "%q is not ignore, fail or add", p.Extra)
	}
	switch p.Missing {
	case "":
		p.Missing = MissingFail
	case MissingFail, MissingNull:
	default:
		return fail("columns_policy.missing", "%q is not fail or null", p.Missing)
	}
	return nil
}

// Drift is how a file's header differed from the job's columns, and what
// the job's columns_policy made of it; notifications carry it.
type Drift struct {
	// Extra are CSV headers no column reads: ignored (extra: ignore).
	Extra []string
	// Missing are the headers of declared columns the file lacks, read
	// as NULL (missing: null).
	Missing []string
	// Added are new CSV columns added to the table (extra: add).
	Added []AddedColumn
}

// AddedColumn is a CSV column added to the table by columns_policy.extra:
// add.
type AddedColumn struct {
	Column, Header string
	Type           models.Type
	// Config is its line for config.yaml's columns: list.
	Config string
	// InTx: added inside the file's transaction, so undone if the file
	// fails; otherwise before it (MySQL, where ALTER TABLE commits).
	InTx bool
}

// Any reports whether there was drift.
func (d Drift) Any() bool { return len(d.Extra)+len(d.Missing)+len(d.Added) > 0 }

// message is the drift as a notification carries it; nil for none.
func (d Drift) message() *notify.Drift {
	if !d.Any() {
		return nil
	}
	m := &notify.Drift{Extra: d.Extra, Missing: d.Missing}
	for _, a := range d.Added {
		m.Added = append(m.Added, notify.DriftColumn{Column: a.Column, Header: a.Header, Type: string(a.Type), Config: a.Config})
	}
	return m
}

// checkHeader applies the policy to a header's missing and extra columns:
// the error, when there is one, is the file's.
func (j *Job) checkHeader(missing, extra, header []string) error {
	if len(missing) > 0 {
		if j.ColumnsPolicy.Missing != MissingNull {
			return missingColumns(missing, header)
		}
		for _, c := range j.columns {
			if slices.Contains(missing, c.header) && (c.Key || c.NotNull) {
				return fmt.Errorf("%w; columns_policy.missing: null cannot read %q as NULL: it is in the key or required", missingColumns(missing, header), c.header)
			}
		}
	}
	if len(extra) > 0 && j.ColumnsPolicy.Extra == ExtraFail {
		return fmt.Errorf("header has column(s) %s that no declared column reads, and columns_policy.extra is fail; declare them, or set extra: ignore or add",
			strings.Join(quoteAll(extra), ", "))
	}
	return nil
}

// withNewColumns is j with the file's CSV columns that no column reads
// added as columns, their types inferred from the whole file, when the
// policy says add; the names of the columns are returned for the load to
// add to the table. Otherwise it is j as it is.
func (im *Importer) withNewColumns(ctx context.Context, j *Job, f File) (*Job, []string, error) {
	if j.ColumnsPolicy.Extra != ExtraAdd {
		return j, nil, nil
	}
	extra, fields, err := j.extraColumns(ctx, f)
	if err != nil || len(extra) == 0 {
		return j, nil, err
	}
	g, err := infer.NewGuesser(extra, CellCheck)
	if err != nil {
		return nil, nil, err
	}
	row := make([]string, len(fields))
	err = eachRecord(ctx, j.source, f, j.format, DefaultInferRows, func([]string) error { return nil }, func(rec Record, _ bool) {
		if rec.Err != nil {
			return
		}
		for i, fi := range fields {
			row[i] = rec.Fields[fi]
		}
		g.Add(row)
	})
	if err != nil && !errors.Is(err, errRowLimit) {
		return nil, nil, err
	}
	return j.withColumns(g.Columns())
}

// extraColumns reads the file's header: the CSV columns no column reads
// and their fields.
func (j *Job) extraColumns(ctx context.Context, f File) ([]string, []int, error) {
	r, err := j.source.Open(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	rd, err := NewReader(io.LimitReader(r, 1<<30), f.Name, j.format)
	if err != nil {
		return nil, nil, err
	}
	_, _, extra := j.matchHeader(rd.Header())
	var fields []int
	for _, e := range extra {
		fields = append(fields, slices.Index(rd.Header(), e))
	}
	return extra, fields, nil
}

// withColumns is j with the inferred columns appended: nullable, since
// the rows already in the table have no value for them.
func (j *Job) withColumns(cols []infer.Column) (*Job, []string, error) {
	c := *j
	c.columns = slices.Clone(j.columns)
	c.Columns = slices.Clone(j.Columns)
	var names []string
	for _, ic := range cols {
		ic.Name = uniqueName(ic.Name, c.columns)
		ic.Required = false
		cc := ColumnConfig{Name: ic.Name, CSV: ic.Header, Type: string(ic.Type), Format: ic.Format}
		mc := models.Column{Name: ic.Name, Type: ic.Type}
		if ic.Type == models.Decimal {
			cc.Precision, cc.Scale = &ic.Precision, &ic.Scale
			mc.Precision, mc.Scale = ic.Precision, ic.Scale
		}
		conv, err := NewConverter(cc, false)
		if err != nil {
			return nil, nil, fmt.Errorf("new column %q: %w", ic.Header, err)
		}
		c.Columns = append(c.Columns, cc)
		c.columns = append(c.columns, column{Column: mc, header: ic.Header, conv: conv})
		c.added = append(c.added, AddedColumn{Column: ic.Name, Header: ic.Header, Type: ic.Type, Config: "- " + infer.ColumnYAML(ic)})
		names = append(names, ic.Name)
	}
	return &c, names, nil
}

// uniqueName is name, numbered if a declared column has it already.
func uniqueName(name string, cols []column) string {
	taken := func(n string) bool {
		return slices.ContainsFunc(cols, func(c column) bool { return strings.EqualFold(c.Name, n) })
	}
	out := name
	for i := 2; taken(out); i++ {
		out = fmt.Sprintf("%s_%d", name, i)
	}
	return out
}

// noteAdded logs the columns the load added to the table and puts them
// in the file's drift, with the line to add to config.yaml.
func (im *Importer) noteAdded(j *Job, f File, load *models.Load, res *Result) {
	added, inTx := load.Added()
	where := "inside the file's transaction"
	if !inTx {
		where = "before the file's transaction (ALTER TABLE commits on this database: it stays if the file fails)"
	}
	for _, a := range j.added {
		a.InTx = inTx
		res.Drift.Added = append(res.Drift.Added, a)
		if slices.Contains(added, a.Column) {
			im.log.Warn("new CSV column added to the table "+where+"; add it to config.yaml under columns:",
				"job", j.Name, "file", f.Name, "table", j.Table, "column", a.Column, "type", a.Type, "config", a.Config)
		} else {
			im.log.Warn("new CSV column read into the table's existing column; add it to config.yaml under columns:",
				"job", j.Name, "file", f.Name, "column", a.Column, "config", a.Config)
		}
	}
}
