package importer

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"github.com/robfig/cron/v3"

	"github.com/sluice-dev/sluice/importer/notify"
	"github.com/sluice-dev/sluice/models"
)

// JobConfig is one job as config.yaml declares it: where the files are,
// which table they go to, and how each CSV column maps to a typed
// database column.
type JobConfig struct {
	Name     string         `yaml:"name"`
	Schedule string         `yaml:"schedule"`
	Source   SourceConfig   `yaml:"source"`
	Table    string         `yaml:"table"`
	Key      []string       `yaml:"key"`
	Mode     models.Mode    `yaml:"mode"`
	Sync     SyncConfig     `yaml:"sync"`
	Columns  []ColumnConfig `yaml:"columns"`
	Rejects  RejectsConfig  `yaml:"rejects"`
	// ColumnsPolicy: what a header that differs from Columns does (drift.go).
	ColumnsPolicy ColumnsPolicy `yaml:"columns_policy"`
	// Notify are the job's own notify: targets, after the top-level ones.
	Notify []notify.Target `yaml:"notify"`
}

// SourceConfig is the source: block of a job.
type SourceConfig struct {
	// Path is a file or a glob (sample-data/socks-*.csv), relative to the
	// config file's directory unless absolute.
	Path string `yaml:"path"`
	// Paths are several remote files (URLs), imported in the order given.
	Paths     []string `yaml:"paths"`
	Delimiter string   `yaml:"delimiter"`
	Encoding  string   `yaml:"encoding"`
	Ragged    bool     `yaml:"ragged"`
	// MaxField is the most a field may hold ("16MiB", "1MB", "65536"); a
	// row with a longer one is rejected. "" means DefaultMaxField.
	MaxField string `yaml:"max_field"`
	// Settle is how long a file must have been left unchanged before it
	// is imported: one modified more recently may still be being written,
	// and is left for the next run. nil means DefaultSettle.
	Settle *time.Duration `yaml:"settle"`
	// AllowEmpty makes a run that finds no file a success: for setups that
	// move files away once imported. Otherwise it is a failed run, since
	// a typo in path would import nothing, silently, forever.
	AllowEmpty bool `yaml:"allow_empty"`
	// ExpectEvery ("35d", "5w") makes the job overdue when no new file
	// has been imported for that long; "" never.
	ExpectEvery string `yaml:"expect_every"`
	// HTTP and SFTP are the options of those kinds of remote source.
	HTTP *HTTPConfig `yaml:"http"`
	SFTP *SFTPConfig `yaml:"sftp"`
}

// DefaultSettle is source.settle when the config does not say.
const DefaultSettle = 5 * time.Second

// ColumnConfig declares one database column and the CSV header it is read
// from.
type ColumnConfig struct {
	Name      string `yaml:"name"`
	CSV       string `yaml:"csv"`
	Type      string `yaml:"type"`
	Required  bool   `yaml:"required"`
	Format    string `yaml:"format"`
	Precision *int   `yaml:"precision"`
	Scale     *int   `yaml:"scale"`
}

// Header is the CSV header name the column is read from.
func (c ColumnConfig) Header() string {
	if c.CSV != "" {
		return c.CSV
	}
	return c.Name
}

// RejectsConfig bounds how many bad rows a file may have and says where
// the reject files go.
type RejectsConfig struct {
	// Max is a count ("100") or a percentage of the file's rows ("5%").
	Max string `yaml:"max"`
	Dir string `yaml:"dir"`
}

const (
	defaultRejectMax = "100"
	defaultRejectDir = "rejects"
)

var (
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	jobNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// failFunc reports a config problem at a key path below the job.
type failFunc func(field, format string, args ...any) error

// compile validates the declaration and compiles it into the job every
// import uses; dir is the config's folder, which relative paths resolve
// against. Defaults are filled into the declaration, so it shows what is
// in force.
func (c JobConfig) compile(dir string, parser cron.Parser, fail failFunc) (*Job, error) {
	if !jobNameRE.MatchString(c.Name) {
		return nil, fail("name", "%q is not a valid job name (letters, digits, _ . -)", c.Name)
	}
	if c.Schedule != "" {
		if err := checkSchedule(parser, c.Schedule); err != nil {
			return nil, fail("schedule", "bad cron spec %q: %v", c.Schedule, err)
		}
	}
	j := &Job{}
	if err := j.compileSource(&c.Source, dir, fail); err != nil {
		return nil, err
	}
	if !identRE.MatchString(c.Table) {
		return nil, fail("table", "%q is not a valid table name", c.Table)
	}
	mode, err := models.ParseMode(string(c.Mode))
	if err != nil {
		return nil, fail("mode", "%v", err)
	}
	c.Mode = mode
	if err := j.compileColumns(c.Columns, c.Key, fail); err != nil {
		return nil, err
	}
	if err := j.compileSync(&c.Sync, mode, fail); err != nil {
		return nil, err
	}
	if err := j.compileRejects(&c.Rejects, dir, fail); err != nil {
		return nil, err
	}
	if err := c.ColumnsPolicy.compile(fail); err != nil {
		return nil, err
	}
	j.JobConfig = c
	return j, nil
}

func (j *Job) compileSource(s *SourceConfig, dir string, fail failFunc) error {
	if s.Settle != nil && *s.Settle < 0 {
		return fail("source.settle", "%s is negative", *s.Settle)
	}
	j.settle = DefaultSettle
	if s.Settle != nil {
		j.settle = *s.Settle
	}
	src, field, err := newSource(s, dir)
	if err != nil {
		return fail(field, "%v", err)
	}
	j.source = src
	delim := ','
	switch s.Delimiter {
	case "", ",":
	case `\t`, "tab", "\t":
		delim = '\t'
	default:
		r, n := utf8.DecodeRuneInString(s.Delimiter)
		if n != len(s.Delimiter) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
			return fail("source.delimiter", "%q must be one character (not a quote or newline)", s.Delimiter)
		}
		delim = r
	}
	if _, err := parseEncoding(s.Encoding); err != nil {
		return fail("source.encoding", "%v", err)
	}
	j.format = Format{Delimiter: delim, Encoding: s.Encoding, Ragged: s.Ragged}
	if s.MaxField != "" {
		n, err := humanize.ParseBytes(s.MaxField)
		if err != nil || n == 0 || n > math.MaxInt32 {
			return fail("source.max_field", "%q is not a size between 1 byte and 2GiB (write 16MiB, 1MB or a number of bytes)", s.MaxField)
		}
		j.format.MaxField = int64(n)
	}
	return nil
}

// compileColumns checks the names and the key here and each column's type
// rules in its converter (NewConverter owns them), and fills in the
// canonical type names.
func (j *Job) compileColumns(cols []ColumnConfig, key []string, fail failFunc) error {
	isKey, err := j.compileKey(cols, key, fail)
	if err != nil {
		return err
	}
	j.columns = make([]column, len(cols))
	for i := range cols {
		c := &cols[i]
		conv, err := NewConverter(*c, isKey[i])
		var re *ColumnRuleError
		if errors.As(err, &re) {
			field := fmt.Sprintf("columns[%d]", i)
			if re.Field != "" {
				field += "." + re.Field
			}
			return fail(field, "%s", re.Reason)
		}
		if err != nil {
			return err
		}
		t, _ := models.ParseType(c.Type) // the converter has checked it
		c.Type = string(t)
		mc := models.Column{Name: c.Name, Type: t, NotNull: c.Required || isKey[i], Key: isKey[i]}
		if c.Precision != nil {
			mc.Precision = *c.Precision
		}
		if c.Scale != nil {
			mc.Scale = *c.Scale
		}
		j.columns[i] = column{Column: mc, header: c.Header(), conv: conv}
	}
	return nil
}

// compileKey checks the column names and headers, and that the key names
// declared columns once each; it returns which columns are in the key.
func (j *Job) compileKey(cols []ColumnConfig, key []string, fail failFunc) ([]bool, error) {
	if len(cols) == 0 {
		return nil, fail("columns", "no columns declared")
	}
	names, headers := map[string]int{}, map[string]bool{}
	for i, c := range cols {
		field := fmt.Sprintf("columns[%d]", i)
		if !identRE.MatchString(c.Name) {
			return nil, fail(field+".name", "%q is not a valid column name", c.Name)
		}
		if _, dup := names[strings.ToLower(c.Name)]; dup {
			return nil, fail(field+".name", "column %q is declared twice", c.Name)
		}
		names[strings.ToLower(c.Name)] = i
		if headers[c.Header()] {
			return nil, fail(field+".csv", "CSV header %q is mapped twice", c.Header())
		}
		headers[c.Header()] = true
	}
	if len(key) == 0 {
		return nil, fail("key", "no key declared (the natural ID: one or more column names)")
	}
	isKey := make([]bool, len(cols))
	for i, k := range key {
		c, ok := names[strings.ToLower(k)]
		if !ok {
			return nil, fail(fmt.Sprintf("key[%d]", i), "%q is not a declared column", k)
		}
		if isKey[c] {
			return nil, fail(fmt.Sprintf("key[%d]", i), "%q is named twice", k)
		}
		isKey[c] = true
		j.keyIdx = append(j.keyIdx, c)
	}
	return isKey, nil
}

func (j *Job) compileRejects(r *RejectsConfig, dir string, fail failFunc) error {
	if r.Max == "" {
		r.Max = defaultRejectMax
	}
	lim, err := parseLimit(r.Max)
	if err != nil {
		return fail("rejects.max", "%v", err)
	}
	j.rejectLimit = lim
	if r.Dir == "" {
		r.Dir = defaultRejectDir
	}
	if !filepath.IsAbs(r.Dir) {
		r.Dir = filepath.Join(dir, r.Dir)
	}
	return nil
}

// parseLimit reads a row count ("100") or a percentage ("5%").
func parseLimit(s string) (rejectLimit, error) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 {
			return rejectLimit{}, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
		}
		return rejectLimit{percent: v, isPct: true}, nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return rejectLimit{}, fmt.Errorf("%q is not a row count (like 100) or a percentage (like 5%%)", s)
	}
	return rejectLimit{count: v}, nil
}

// checkSchedule parses a schedule. robfig/cron v3.0.1 panics on a time
// zone prefix with nothing after it ("CRON_TZ=UTC"), so that is refused
// first, and any other panic becomes an error.
func checkSchedule(parser cron.Parser, spec string) (err error) {
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		if _, rest, _ := strings.Cut(spec, " "); strings.TrimSpace(rest) == "" {
			return fmt.Errorf("a time zone with no schedule after it")
		}
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	_, err = parser.Parse(spec)
	return err
}
