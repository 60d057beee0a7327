package importer

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"github.com/sluice-dev/sluice/models"
)

// Job is one import: where the files are, which table they go to, and how
// each CSV column maps to a typed database column.
type Job struct {
	Name     string         `yaml:"name"`
	Schedule string         `yaml:"schedule"`
	Source   SourceConfig   `yaml:"source"`
	Table    string         `yaml:"table"`
	Key      []string       `yaml:"key"`
	Mode     models.Mode    `yaml:"mode"`
	Columns  []ColumnConfig `yaml:"columns"`
	Rejects  RejectsConfig  `yaml:"rejects"`

	// Filled in by validation.
	rejectLimit rejectLimit
	source      Source
}

// SourceConfig is the source: block of a job.
type SourceConfig struct {
	// Path is a file or a glob (sample-data/socks-*.csv), relative to the
	// config file's directory unless absolute.
	Path      string `yaml:"path"`
	Delimiter string `yaml:"delimiter"`
	Encoding  string `yaml:"encoding"`
	Ragged    bool   `yaml:"ragged"`
	// Settle is how long a file must have been left unchanged before it
	// is imported: one modified more recently may still be being written,
	// and is left for the next run. nil means DefaultSettle.
	Settle *time.Duration `yaml:"settle"`
}

// DefaultSettle is source.settle when the config does not say.
const DefaultSettle = 5 * time.Second

// SettleTime is source.settle, or its default.
func (s SourceConfig) SettleTime() time.Duration {
	if s.Settle == nil {
		return DefaultSettle
	}
	return *s.Settle
}

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

const (
	defaultRejectMax = "100"
	defaultRejectDir = "rejects"
)

var (
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	jobNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

func (c *Config) validate(file string) error {
	fail := func(field, format string, args ...any) error {
		return &ConfigError{File: file, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if c.Database.URL == "" {
		return fail("database.url", "is empty (set it or DATABASE_URL, e.g. sqlite:///sockmarket.db)")
	}
	if len(c.Jobs) == 0 {
		return fail("jobs", "no jobs declared")
	}
	r := &c.Daemon.Retry
	switch {
	case r.Attempts < 0:
		return fail("daemon.retry.attempts", "%d is negative (0 means the default, %d)", r.Attempts, DefaultRetryAttempts)
	case r.Attempts == 0:
		r.Attempts = DefaultRetryAttempts
	}
	switch {
	case r.MaxDelay < 0:
		return fail("daemon.retry.max_delay", "%s is negative", r.MaxDelay)
	case r.MaxDelay == 0:
		r.MaxDelay = DefaultRetryMaxDelay
	}
	parser := c.ScheduleParser()
	seen := map[string]bool{}
	for i, j := range c.Jobs {
		if j == nil {
			return fail(fmt.Sprintf("jobs[%d]", i), "empty job")
		}
		if err := j.validate(c.Dir(), parser, func(field, format string, args ...any) error {
			return fail(fmt.Sprintf("jobs[%d].%s", i, field), format, args...)
		}); err != nil {
			return err
		}
		if seen[j.Name] {
			return fail(fmt.Sprintf("jobs[%d].name", i), "job %q is declared twice", j.Name)
		}
		seen[j.Name] = true
	}
	return nil
}

func (j *Job) validate(dir string, parser cron.Parser, fail func(field, format string, args ...any) error) error {
	if !jobNameRE.MatchString(j.Name) {
		return fail("name", "%q is not a valid job name (letters, digits, _ . -)", j.Name)
	}
	if j.Schedule != "" {
		if err := checkSchedule(parser, j.Schedule); err != nil {
			return fail("schedule", "bad cron spec %q: %v", j.Schedule, err)
		}
	}
	if err := j.validateSource(dir, fail); err != nil {
		return err
	}
	if !identRE.MatchString(j.Table) {
		return fail("table", "%q is not a valid table name", j.Table)
	}
	mode, err := models.ParseMode(string(j.Mode))
	if err != nil {
		return fail("mode", "%v", err)
	}
	j.Mode = mode
	if err := j.validateColumns(fail); err != nil {
		return err
	}
	return j.validateRejects(dir, fail)
}

func (j *Job) validateSource(dir string, fail func(field, format string, args ...any) error) error {
	s := &j.Source
	if s.Path == "" {
		return fail("source.path", "is empty (a file or glob such as data/socks-*.csv)")
	}
	if s.Settle != nil && *s.Settle < 0 {
		return fail("source.settle", "%s is negative", *s.Settle)
	}
	if _, err := filepath.Match(s.Path, ""); err != nil {
		return fail("source.path", "bad glob %q: %v", s.Path, err)
	}
	if !filepath.IsAbs(s.Path) {
		s.Path = filepath.Join(dir, s.Path)
	}
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
	j.source = Source{Delimiter: delim, Encoding: s.Encoding, Ragged: s.Ragged}
	return nil
}

func (j *Job) validateColumns(fail func(field, format string, args ...any) error) error {
	if len(j.Columns) == 0 {
		return fail("columns", "no columns declared")
	}
	names, headers := map[string]bool{}, map[string]bool{}
	for i := range j.Columns {
		c := &j.Columns[i]
		field := fmt.Sprintf("columns[%d]", i)
		if !identRE.MatchString(c.Name) {
			return fail(field+".name", "%q is not a valid column name", c.Name)
		}
		if names[strings.ToLower(c.Name)] {
			return fail(field+".name", "column %q is declared twice", c.Name)
		}
		names[strings.ToLower(c.Name)] = true
		if headers[c.Header()] {
			return fail(field+".csv", "CSV header %q is mapped twice", c.Header())
		}
		headers[c.Header()] = true
		t, err := models.ParseType(c.Type)
		if err != nil {
			return fail(field+".type", "%v", err)
		}
		c.Type = string(t)
		if c.Format != "" && t != models.Date && t != models.Timestamp {
			return fail(field+".format", "only date and timestamp columns take a format")
		}
		if (c.Precision != nil || c.Scale != nil) && t != models.Decimal {
			return fail(field, "only decimal columns take precision and scale")
		}
		if c.Precision != nil && (*c.Precision < 1 || *c.Precision > 65) {
			return fail(field+".precision", "%d is out of range (1 to 65)", *c.Precision)
		}
		if c.Scale != nil && (*c.Scale < 0 || (c.Precision != nil && *c.Scale > *c.Precision)) {
			return fail(field+".scale", "%d is out of range (0 to precision)", *c.Scale)
		}
	}
	if len(j.Key) == 0 {
		return fail("key", "no key declared (the natural ID: one or more column names)")
	}
	seen := map[string]bool{}
	for i, k := range j.Key {
		if !names[strings.ToLower(k)] {
			return fail(fmt.Sprintf("key[%d]", i), "%q is not a declared column", k)
		}
		if seen[strings.ToLower(k)] {
			return fail(fmt.Sprintf("key[%d]", i), "%q is named twice", k)
		}
		seen[strings.ToLower(k)] = true
	}
	return nil
}

func (j *Job) validateRejects(dir string, fail func(field, format string, args ...any) error) error {
	r := &j.Rejects
	if r.Max == "" {
		r.Max = defaultRejectMax
	}
	if p, ok := strings.CutSuffix(strings.TrimSpace(r.Max), "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 {
			return fail("rejects.max", "%q is not a percentage from 0%% to 100%%", r.Max)
		}
		j.rejectLimit = rejectLimit{percent: v, isPct: true}
	} else {
		v, err := strconv.Atoi(strings.TrimSpace(r.Max))
		if err != nil || v < 0 {
			return fail("rejects.max", "%q is not a row count (like 100) or a percentage (like 5%%)", r.Max)
		}
		j.rejectLimit = rejectLimit{count: v}
	}
	if r.Dir == "" {
		r.Dir = defaultRejectDir
	}
	if !filepath.IsAbs(r.Dir) {
		r.Dir = filepath.Join(dir, r.Dir)
	}
	return nil
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
