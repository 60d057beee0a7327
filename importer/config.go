package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/sluice-dev/sluice/importer/notify"
)

// DefaultConfigPath is where sluice looks for its configuration when
// neither --config nor SLUICE_CONFIG says otherwise.
const DefaultConfigPath = "config.yaml"

// ConfigFile is a loaded, expanded and validated config.yaml, its jobs
// compiled.
type ConfigFile struct {
	// Path is the absolute path of the file it was loaded from; relative
	// paths inside it resolve against its directory.
	Path     string
	Database DatabaseConfig `yaml:"database"`
	Daemon   DaemonConfig   `yaml:"daemon"`
	// Notify are the targets told of every job's runs.
	Notify []notify.Target `yaml:"notify"`
	Jobs   []*Job          `yaml:"jobs"`
}

// DaemonConfig is the daemon: block: how schedules are read and how runs
// that cannot reach the database are retried.
type DaemonConfig struct {
	// Seconds lets schedules carry a leading seconds field
	// ("*/10 * * * * *"); five-field specs still work.
	Seconds bool        `yaml:"seconds"`
	Retry   RetryConfig `yaml:"retry"`
}

// RetryConfig bounds the retries of a run whose database is unreachable:
// exponential backoff with jitter, from one second up to MaxDelay.
type RetryConfig struct {
	Attempts int           `yaml:"attempts"`
	MaxDelay time.Duration `yaml:"max_delay"`
}

// Retry defaults: about six minutes of outage before a run gives up.
const (
	DefaultRetryAttempts = 5
	DefaultRetryMaxDelay = 5 * time.Minute
)

// ScheduleParser reads job schedules: standard five fields, descriptors
// (@monthly, @every 1h), CRON_TZ= prefixes, and a leading seconds field
// when daemon.seconds is set.
func (c *ConfigFile) ScheduleParser() cron.Parser {
	fields := cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
	if c.Daemon.Seconds {
		fields |= cron.SecondOptional
	}
	return cron.NewParser(fields)
}

// DatabaseConfig says where the data goes.
type DatabaseConfig struct {
	// URL is a database URL in SQLAlchemy's forms (sqlite:///rel.db,
	// postgresql://…, mysql+pymysql://…; see models.ParseURL). The
	// DATABASE_URL environment variable, when set, wins over it.
	URL string `yaml:"url"`
}

// Dir is the directory relative paths in the config resolve against.
func (c *ConfigFile) Dir() string { return filepath.Dir(c.Path) }

// Job returns the job named name.
func (c *ConfigFile) Job(name string) (*Job, error) {
	for _, j := range c.Jobs {
		if j.Name == name {
			return j, nil
		}
	}
	names := make([]string, len(c.Jobs))
	for i, j := range c.Jobs {
		names[i] = j.Name
	}
	return nil, fmt.Errorf("%s: no job named %q (jobs: %s)", c.Path, name, strings.Join(names, ", "))
}

// ConfigError is a problem found while loading config.yaml. It names the
// file, the key (a path such as jobs[0].columns[2].type) and the reason.
type ConfigError struct {
	File   string
	Line   int // 0 when unknown
	Field  string
	Reason string
	err    error // the cause, when there is one
}

// Unwrap returns the cause, such as fs.ErrNotExist.
func (e *ConfigError) Unwrap() error { return e.err }

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// LoadConfig reads path, expands ${VAR} and ${VAR:-default} from the
// environment (lookup, normally os.LookupEnv), applies DATABASE_URL and
// validates every job. Unknown keys are errors: a misspelt key silently
// ignored is a job that does something else than its author thinks.
func LoadConfig(path string, lookup func(string) (string, bool)) (*ConfigFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	raw, err := os.ReadFile(abs)
	if err != nil {
		return nil, &ConfigError{File: path, Reason: fmt.Sprintf("cannot read it: %v (give the path with --config or SLUICE_CONFIG)", errors.Unwrap(err)), err: err}
	}
	text, err := expandEnv(string(raw), lookup)
	if err != nil {
		return nil, &ConfigError{File: path, Reason: err.Error()}
	}
	cfg := &ConfigFile{Path: abs}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(text)))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF; validation then says what is missing.
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(path, text, err)
	}
	if v, ok := lookup("DATABASE_URL"); ok && v != "" {
		cfg.Database.URL = v
	}
	if err := cfg.validate(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

var (
	yamlLineRE    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknownRE = regexp.MustCompile(`field (\S+) not found in type \S+`)
)

// yamlError turns the YAML library's messages into ConfigErrors that speak
// of config keys rather than Go types. A document that parses but does
// not fit the config is walked again to name each key, the type it wants
// and the value it got (see yamlTypeProblems).
func yamlError(file, text string, err error) error {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) == nil {
		if problems := yamlTypeProblems(&doc, reflect.TypeFor[ConfigFile]()); len(problems) > 0 {
			errs := make([]error, len(problems))
			for i, p := range problems {
				errs[i] = &ConfigError{File: file, Line: p.line, Field: p.field, Reason: p.reason}
			}
			return errors.Join(errs...)
		}
	}
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	errs := make([]error, 0, len(msgs))
	for _, m := range msgs {
		ce := &ConfigError{File: file, Reason: m}
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			fmt.Sscan(sm[1], &ce.Line)
			ce.Reason = sm[2]
		}
		if sm := yamlUnknownRE.FindStringSubmatch(ce.Reason); sm != nil {
			ce.Reason = fmt.Sprintf("unknown key %q", sm[1])
		}
		ce.Reason = strings.TrimPrefix(ce.Reason, "yaml: ")
		errs = append(errs, ce)
	}
	return errors.Join(errs...)
}

// validate checks the top-level settings and compiles every job.
func (c *ConfigFile) validate(file string) error {
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
	top, err := checkTargets(c.Notify, "notify", fail)
	if err != nil {
		return err
	}
	parser := c.ScheduleParser()
	seen := map[string]bool{}
	for i, decl := range c.Jobs {
		if decl == nil {
			return fail(fmt.Sprintf("jobs[%d]", i), "empty job")
		}
		jfail := func(field, format string, args ...any) error {
			return fail(fmt.Sprintf("jobs[%d].%s", i, field), format, args...)
		}
		j, err := decl.JobConfig.compile(c.Dir(), parser, jfail)
		if err == nil {
			err = j.compileWatch(top, jfail)
		}
		if err != nil {
			return err
		}
		if seen[j.Name] {
			return fail(fmt.Sprintf("jobs[%d].name", i), "job %q is declared twice", j.Name)
		}
		seen[j.Name] = true
		c.Jobs[i] = j
	}
	return nil
}
