package infer

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/sluice-dev/sluice/models"
)

// Result is everything inferred from one file.
type Result struct {
	// Path is the file as source.path names it.
	Path      string
	Delimiter rune
	Encoding  Encoding
	Rows      int64
	// Sampled: the file has more rows than MaxRows, and only the first
	// MaxRows were read.
	Sampled bool
	MaxRows int64
	// Ragged: some rows are shorter than the header (their last cells
	// left out, as spreadsheets do).
	Ragged  bool
	Columns []Column
	Key     Key
}

// Warnings are what a person must look at before using the config.
func (r *Result) Warnings() []string {
	var w []string
	var values []string
	for _, c := range r.Columns {
		if c.HeaderIsValue {
			values = append(values, strconv.Quote(c.Header))
		}
	}
	if len(values) > 0 {
		w = append(w, fmt.Sprintf("the header %s looks like data: sluice reads the first row as the header, so a file without one loses its first row and names its columns after it; add a header row", strings.Join(values, ", ")))
	}
	if len(r.Key.Columns) == 0 {
		w = append(w, "no key: "+r.Key.Note)
	}
	for _, c := range r.Columns {
		if strings.HasPrefix(c.Note, "AMBIGUOUS") {
			w = append(w, fmt.Sprintf("column %s: %s", c.Name, c.Note))
		}
	}
	if r.Sampled {
		w = append(w, fmt.Sprintf("only the first %s rows were read (--max-rows)", thousands(r.MaxRows)))
	}
	return w
}

// RenderOptions name what the file alone cannot tell.
type RenderOptions struct {
	Job, Table string
	// JobOnly writes the job alone, as an item of a jobs: list, to append
	// to a config that has one; otherwise a whole config.yaml.
	JobOnly bool
}

// Render writes r as a commented config.yaml (or the job alone).
func Render(w io.Writer, r *Result, o RenderOptions) error {
	b := &strings.Builder{}
	read := fmt.Sprintf("all %s rows read", thousands(r.Rows))
	if r.Sampled {
		read = fmt.Sprintf("only its first %s rows read, sluice init's limit (--max-rows): check the types against the rest", thousands(r.MaxRows))
	}
	if !o.JobOnly {
		fmt.Fprintf(b, "# sluice configuration written by sluice init from %s (%s).\n", r.Path, read)
		b.WriteString("# Every key is documented in README.md (\"Configuration\").\n")
		b.WriteString("database:\n  # DATABASE_URL in the environment always wins over this value.\n")
		fmt.Fprintf(b, "  url: ${DATABASE_URL:-sqlite:///%s.db}\n\njobs:\n", o.Job)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintf(b, "  # WARNING: %s\n", w)
	}
	fmt.Fprintf(b, "  # written by sluice init from %s (%s)\n", r.Path, read)
	fmt.Fprintf(b, "  - name: %s\n", yamlString(o.Job))
	b.WriteString("    # schedule: \"0 3 * * *\"       # when sluice daemon runs it (cron)\n")
	b.WriteString("    source:\n")
	fmt.Fprintf(b, "      path: %s\n", yamlString(r.Path))
	fmt.Fprintf(b, "      delimiter: %s\n", commented(delimiterYAML(r.Delimiter), 24, delimiterNote(r)))
	encNote := r.Encoding.Note
	if encNote == "" {
		encNote = "every byte is valid UTF-8"
	}
	fmt.Fprintf(b, "      encoding: %s\n", commented(r.Encoding.Name, 25, encNote))
	if r.Ragged {
		fmt.Fprintf(b, "      ragged: %s\n", commented("true", 27, "some rows leave out their last cells: they read as empty"))
	}
	fmt.Fprintf(b, "    table: %s\n", yamlString(o.Table))
	if len(r.Key.Columns) == 0 {
		fmt.Fprintf(b, "    # key: [...]   # NO KEY FOUND: %s\n", r.Key.Note)
	} else {
		names := make([]string, len(r.Key.Columns))
		for i, c := range r.Key.Columns {
			names[i] = yamlString(r.Columns[c].Name)
		}
		fmt.Fprintf(b, "    key: %s\n", commented("["+strings.Join(names, ", ")+"]", 30, r.Key.Note))
	}
	b.WriteString("    columns:\n")
	for _, c := range r.Columns {
		fmt.Fprintf(b, "      - %s\n", commented(ColumnYAML(c), 0, c.Note))
	}
	b.WriteString("    # a CSV column no column reads is ignored with a warning; one declared but missing fails the file\n")
	b.WriteString("    columns_policy: {extra: ignore, missing: fail}\n")
	b.WriteString("    rejects: {max: 100, dir: rejects}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ColumnYAML is a column's declaration as one flow mapping:
// {name: zip_code, csv: Zip Code, type: text, required: true}.
func ColumnYAML(c Column) string {
	parts := []string{"name: " + yamlString(c.Name)}
	if c.Header != c.Name {
		parts = append(parts, "csv: "+yamlString(c.Header))
	}
	parts = append(parts, "type: "+string(c.Type))
	if c.Format != "" {
		parts = append(parts, "format: "+strconv.Quote(c.Format))
	}
	if c.Type == models.Decimal {
		parts = append(parts, fmt.Sprintf("precision: %d, scale: %d", c.Precision, c.Scale))
	}
	if c.Required {
		parts = append(parts, "required: true")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func delimiterYAML(d rune) string {
	if d == '\t' {
		return `"\t"`
	}
	return strconv.Quote(string(d))
}

func delimiterNote(r *Result) string {
	if len(r.Columns) == 1 {
		return "no separator splits the header: one column"
	}
	return fmt.Sprintf("splits the header into %d fields", len(r.Columns))
}

// commented pads s to width and adds "# note" when there is one.
func commented(s string, width int, note string) string {
	if note == "" {
		return s
	}
	if pad := width - len(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s + "  # " + note
}

// plainRE is a YAML scalar safe to write unquoted in a flow mapping.
var plainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_ ./()-]*[A-Za-z0-9_)]$|^[A-Za-z_]$`)

// yamlString writes s plainly when YAML reads it back as the same
// string, double-quoted otherwise.
func yamlString(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return strconv.Quote(s)
	}
	if plainRE.MatchString(s) && !strings.Contains(s, " #") {
		return s
	}
	return strconv.Quote(s)
}
