package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// noEnv is an empty environment.
func noEnv(string) (string, bool) { return "", false }

// configFixture is the path of a fixture in testdata/config, as a user
// would pass it (relative), since errors name the file as given.
func configFixture(name string) string { return filepath.Join("testdata", "config", name) }

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		err  string // full error text after "<file>" (":line: ..." or ": key: ...")
	}{
		// Unknown keys are YAML errors, so they carry a line number.
		{"unknown_key_top.yaml", `:3: unknown key "databse"; did you mean "database"?`},
		{"unknown_key_job.yaml", `:5: jobs[0]: unknown key "sourse"; did you mean "source"?`},
		{"unknown_key_column.yaml", `:10: jobs[0].columns[1]: unknown key "typ"; did you mean "type"?`},
		{"unknown_keys_two.yaml", ":8: jobs[0]: unknown key \"colums\"; did you mean \"columns\"?\n" +
			"testdata/config/unknown_keys_two.yaml:11: jobs[0].rejects: unknown key \"maximum\""},
		// A value of the wrong kind names its key and what it wants, in
		// words, not yaml.v3's "cannot unmarshal !!seq into time.Duration".
		{"wrong_value_type.yaml", `:10: jobs[0].columns[1].precision: want a whole number such as 100, got "ten"`},
		{"settle_list.yaml", `:5: jobs[0].source.settle: want a duration such as 30s, got [1, 2]`},
		{"settle_number.yaml", `:5: jobs[0].source.settle: want a duration such as 30s, got 30`},
		{"wrong_types_several.yaml", ":5: jobs[0].source: want keys and values (key: value), got \"data/socks-*.csv\"\n" +
			"testdata/config/wrong_types_several.yaml:7: jobs[0].key: want a list such as [a, b], got \"sku\"\n" +
			"testdata/config/wrong_types_several.yaml:9: jobs[0].columns[0].required: want true or false, got \"maybe\"\n" +
			"testdata/config/wrong_types_several.yaml:10: jobs[0].columns[1]: want keys and values (key: value), got [price, decimal]"},
		{"jobs_mapping.yaml", `:4: jobs: want a list such as [a, b], got {name: socks, table: socks}`},
		{"syntax_error.yaml", `:4: found character that cannot start any token`},

		{"unset_variable.yaml", `: ${SLUICE_TEST_NO_SUCH_VAR} is not set and has no default (write ${SLUICE_TEST_NO_SUCH_VAR:-value})`},
		{"no_database.yaml", `: database.url: is empty (set it or DATABASE_URL, e.g. sqlite:///sockmarket.db)`},
		{"empty_jobs.yaml", `: jobs: no jobs declared`},
		{"no_jobs.yaml", `: jobs: no jobs declared`},
		{"null_job.yaml", `: jobs[0]: empty job`},
		// A file with nothing in it is a config without a database or jobs,
		// not an "EOF".
		{"empty.yaml", `: database.url: is empty (set it or DATABASE_URL, e.g. sqlite:///sockmarket.db)`},
		{"comments_only.yaml", `: database.url: is empty (set it or DATABASE_URL, e.g. sqlite:///sockmarket.db)`},

		{"bad_job_name.yaml", `: jobs[0].name: "my socks" is not a valid job name (letters, digits, _ . -)`},
		{"duplicate_job.yaml", `: jobs[1].name: job "socks" is declared twice`},
		{"bad_cron.yaml", `: jobs[0].schedule: bad cron spec "61 3 * * *": end of range (61) above maximum (59): 61`},
		{"bad_cron_tz_only.yaml", `: jobs[0].schedule: bad cron spec "CRON_TZ=UTC": a time zone with no schedule after it`},
		{"seconds_without_daemon_seconds.yaml", `: jobs[0].schedule: bad cron spec "*/10 * * * * *": expected exactly 5 fields, found 6: [*/10 * * * * *]`},
		{"retry_negative.yaml", `: daemon.retry.attempts: -1 is negative (0 means the default, 5)`},
		{"settle_negative.yaml", `: jobs[0].source.settle: -1s is negative`},
		{"no_source.yaml", `: jobs[0].source.path: is empty (a file or glob such as data/socks-*.csv, or a URL)`},
		{"remote_source.yaml", `: jobs[0].source.path: "ftp://dumps/socks-*.csv": sluice does not read ftp:// sources (it reads local files, https://, s3:// and sftp://)`},
		{"remote_sftp_password.yaml", `: jobs[0].source.path: sftp://supplier:xxxxx@files.example.com/out/socks-*.csv: a password in the URL is not taken: log in with a key (source.sftp.key_file, or an agent at SSH_AUTH_SOCK)`},
		{"remote_s3_option.yaml", `: jobs[0].source.path: s3://dumps/socks-*.csv?regoin=eu-west-1: unknown option regoin (an s3:// URL takes region, endpoint and use_path_style)`},
		{"remote_s3_creds.yaml", `: jobs[0].source.path: s3://AKIA:xxxxx@dumps/socks-*.csv: credentials do not go in an s3:// URL: they come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws`},
		{"remote_http_glob.yaml", `: jobs[0].source.path: https://example.com/dumps/socks-*.csv: an HTTP server lists no folder, so a glob cannot match: name each file (source.paths: [...] for several)`},
		{"remote_sftp_on_local.yaml", `: jobs[0].source.sftp: applies to sftp:// sources only`},
		{"remote_paths_and_path.yaml", `: jobs[0].source.paths: set source.path or source.paths, not both`},
		{"remote_paths_local.yaml", `: jobs[0].source.paths[1]: "data/b.csv" is not a URL; source.paths lists remote files (https://, s3://, sftp://), local ones are a glob in source.path`},
		{"bad_glob.yaml", `: jobs[0].source.path: bad glob "data/[socks-*.csv": syntax error in pattern`},
		{"bad_max_field.yaml", `: jobs[0].source.max_field: "16 MiBs" is not a size between 1 byte and 2GiB (write 16MiB, 1MB or a number of bytes)`},
		{"zero_max_field.yaml", `: jobs[0].source.max_field: "0" is not a size between 1 byte and 2GiB (write 16MiB, 1MB or a number of bytes)`},
		{"bad_delimiter.yaml", `: jobs[0].source.delimiter: ";;" must be one character (not a quote or newline)`},
		{"quote_delimiter.yaml", `: jobs[0].source.delimiter: "\"" must be one character (not a quote or newline)`},
		{"unknown_encoding.yaml", `: jobs[0].source.encoding: unknown encoding "ebcdic" (want utf-8, latin1, windows-1252 or utf-16)`},
		{"bad_table.yaml", `: jobs[0].table: "socks; drop table x" is not a valid table name`},
		{"bad_mode.yaml", `: jobs[0].mode: unknown mode "replace" (want upsert, insert-new, sync)`},
		{"no_columns.yaml", `: jobs[0].columns: no columns declared`},
		{"unknown_type.yaml", `: jobs[0].columns[2].type: unknown type "int" (want one of text, integer, real, decimal, boolean, date, timestamp)`},
		{"duplicate_column.yaml", `: jobs[0].columns[2].name: column "SKU" is declared twice`},
		{"precision_on_text.yaml", `: jobs[0].columns[1]: only decimal columns take precision and scale`},
		{"precision_range.yaml", `: jobs[0].columns[1].precision: 70 is out of range (1 to 65)`},
		{"scale_range.yaml", `: jobs[0].columns[1].scale: 5 is out of range (0 to precision)`},
		{"format_on_integer.yaml", `: jobs[0].columns[1].format: only date and timestamp columns take a format`},
		{"no_key.yaml", `: jobs[0].key: no key declared (the natural ID: one or more column names)`},
		{"key_not_declared.yaml", `: jobs[0].key[1]: "id" is not a declared column`},
		// Column names are matched ignoring case, so the key must be too.
		{"key_twice.yaml", `: jobs[0].key[1]: "SKU" is named twice`},
		{"rejects_lots.yaml", `: jobs[0].rejects.max: "lots" is not a row count (like 100) or a percentage (like 5%)`},
		{"rejects_negative.yaml", `: jobs[0].rejects.max: "-1" is not a row count (like 100) or a percentage (like 5%)`},
		{"rejects_150pct.yaml", `: jobs[0].rejects.max: "150%" is not a percentage from 0% to 100%`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := configFixture(tt.file)
			cfg, err := LoadConfig(path, noEnv)
			if err == nil {
				t.Fatalf("LoadConfig(%s) = %+v, want error", path, cfg)
			}
			if want := path + tt.err; err.Error() != want {
				t.Fatalf("LoadConfig(%s) error:\n got %q\nwant %q", path, err, want)
			}
			// cmd/sluice maps config errors to exit code 2 by type.
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("LoadConfig(%s) error %T is not a *ConfigError", path, err)
			}
			if ce.File != path {
				t.Errorf("ConfigError.File = %q, want %q", ce.File, path)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := LoadConfig(path, noEnv)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadConfig(%s) error = %v, want one wrapping os.ErrNotExist", path, err)
	}
	if want := path + ": cannot read it: no such file or directory (give the path with --config or SLUICE_CONFIG)"; err.Error() != want {
		t.Fatalf("error:\n got %q\nwant %q", err, want)
	}
}

func TestLoadConfigValid(t *testing.T) {
	t.Parallel()
	path := configFixture("valid.yaml")
	cfg, err := LoadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(abs)
	if cfg.Path != abs {
		t.Errorf("Path = %q, want %q", cfg.Path, abs)
	}
	if cfg.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", cfg.Dir(), dir)
	}
	if cfg.Database.URL != "sqlite:///x.db" {
		t.Errorf("Database.URL = %q, want the default sqlite:///x.db", cfg.Database.URL)
	}
	if len(cfg.Jobs) != 2 {
		t.Fatalf("got %d jobs, want 2", len(cfg.Jobs))
	}
	ten, two := 10, 2
	wantStock := JobConfig{
		Name:     "stock",
		Schedule: "30 3 1 * *",
		Source:   SourceConfig{Path: "/srv/dumps/stock-*.tsv", Delimiter: "tab", Encoding: "ISO_8859_1", Ragged: true, MaxField: "1MB"},
		Table:    "stock_levels",
		Key:      []string{"warehouse", "sku"},
		Mode:     models.ModeInsertNew,
		Columns: []ColumnConfig{
			{Name: "warehouse", Type: "text", Required: true},
			{Name: "sku", Type: "text"},
			{Name: "on_hand", CSV: "On Hand", Type: "integer"},
			{Name: "price", Type: "decimal", Precision: &ten, Scale: &two},
			{Name: "counted_at", Type: "timestamp", Format: "2006-01-02 15:04"},
			{Name: "counted_on", Type: "date"},
		},
		Rejects: RejectsConfig{Max: " 5% ", Dir: "/var/lib/sluice/rejects"},
		// The defaults, filled in by compile.
		ColumnsPolicy: ColumnsPolicy{Extra: ExtraIgnore, Missing: MissingFail},
	}
	// The defaults: mode upsert, at most 100 rejects into rejects/ next
	// to the config, and a source path resolved against the config's
	// folder rather than the working directory.
	wantSocks := JobConfig{
		Name:          "socks",
		Source:        SourceConfig{Path: filepath.Join(dir, "sample-data", "socks-*.csv")},
		Table:         "socks",
		Key:           []string{"sku"},
		Mode:          models.ModeUpsert,
		Columns:       []ColumnConfig{{Name: "sku", Type: "text"}, {Name: "in_stock", Type: "boolean"}},
		Rejects:       RejectsConfig{Max: "100", Dir: filepath.Join(dir, "rejects")},
		ColumnsPolicy: ColumnsPolicy{Extra: ExtraIgnore, Missing: MissingFail},
	}
	// What the jobs compile to.
	type compiled struct {
		source  string
		format  Format
		settle  time.Duration
		limit   rejectLimit
		keyIdx  []int
		columns []models.Column
	}
	stockCols := []models.Column{
		{Name: "warehouse", Type: models.Text, NotNull: true, Key: true},
		{Name: "sku", Type: models.Text, NotNull: true, Key: true},
		{Name: "on_hand", Type: models.Integer},
		{Name: "price", Type: models.Decimal, Precision: 10, Scale: 2},
		{Name: "counted_at", Type: models.Timestamp},
		{Name: "counted_on", Type: models.Date},
	}
	wantCompiled := []compiled{
		{"/srv/dumps/stock-*.tsv", Format{Delimiter: '\t', Encoding: "ISO_8859_1", Ragged: true, MaxField: 1_000_000}, DefaultSettle, rejectLimit{percent: 5, isPct: true}, []int{0, 1}, stockCols},
		{filepath.Join(dir, "sample-data", "socks-*.csv"), Format{Delimiter: ','}, DefaultSettle, rejectLimit{count: 100}, []int{0},
			[]models.Column{{Name: "sku", Type: models.Text, NotNull: true, Key: true}, {Name: "in_stock", Type: models.Boolean}}},
	}
	for i, want := range []JobConfig{wantStock, wantSocks} {
		j := cfg.Jobs[i]
		if !reflect.DeepEqual(j.JobConfig, want) {
			t.Errorf("jobs[%d]:\n got %+v\nwant %+v", i, j.JobConfig, want)
		}
		got := compiled{j.Files().String(), j.format, j.Settle(), j.rejectLimit, j.keyIdx, nil}
		for _, c := range j.columns {
			got.columns = append(got.columns, c.Column)
		}
		if !reflect.DeepEqual(got, wantCompiled[i]) {
			t.Errorf("jobs[%d] compiled:\n got %+v\nwant %+v", i, got, wantCompiled[i])
		}
	}
	if got := cfg.Jobs[0].Columns[2].Header(); got != "On Hand" {
		t.Errorf("Header() of a column with csv: = %q, want %q", got, "On Hand")
	}
	if got := cfg.Jobs[0].Columns[1].Header(); got != "sku" {
		t.Errorf("Header() of a column without csv: = %q, want %q", got, "sku")
	}

	j, err := cfg.Job("socks")
	if err != nil || j != cfg.Jobs[1] {
		t.Errorf("Job(socks) = %p, %v; want jobs[1] (%p)", j, err, cfg.Jobs[1])
	}
	_, err = cfg.Job("hats")
	if want := abs + `: no job named "hats" (jobs: stock, socks)`; err == nil || err.Error() != want {
		t.Errorf("Job(hats) error:\n got %v\nwant %s", err, want)
	}
}

// TestSourcePaths: source.path resolves against the config's folder, and
// a file:// URL is a local path.
func TestSourcePaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct{ path, want string }{
		{"data/socks-*.csv", filepath.Join(dir, "data", "socks-*.csv")},
		{"/srv/dumps/socks.csv", "/srv/dumps/socks.csv"},
		{"file:///srv/dumps/socks-*.csv", "/srv/dumps/socks-*.csv"},
		{"FILE://localhost/srv/dumps/x.csv", "/srv/dumps/x.csv"},
		{"c:data.csv", filepath.Join(dir, "c:data.csv")},
	} {
		path := filepath.Join(dir, "config.yaml")
		text := fmt.Sprintf("database: {url: 'sqlite://'}\njobs:\n  - {name: socks, source: {path: %q}, table: socks, key: [sku], columns: [{name: sku}]}\n", tt.path)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path, noEnv)
		if err != nil {
			t.Errorf("source.path %q: %v", tt.path, err)
			continue
		}
		if j := cfg.Jobs[0]; j.Source.Path != tt.want || j.Files().String() != tt.want {
			t.Errorf("source.path %q = %q (source %s), want %q", tt.path, j.Source.Path, j.Files(), tt.want)
		}
	}
}

func TestLoadConfigDatabaseURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const jobs = "jobs:\n  - {name: socks, source: {path: a.csv}, table: socks, key: [sku], columns: [{name: sku}]}\n"
	literal := write("literal.yaml", "database:\n  url: sqlite:///file.db\n"+jobs)
	withDefault := write("default.yaml", "database:\n  url: ${DATABASE_URL:-sqlite:///x.db}\n"+jobs)
	noURL := write("nourl.yaml", jobs)

	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{"file value without env", literal, nil, "sqlite:///file.db"},
		{"env wins over file", literal, map[string]string{"DATABASE_URL": "sqlite:////tmp/env.db"}, "sqlite:////tmp/env.db"},
		{"empty env does not win", literal, map[string]string{"DATABASE_URL": ""}, "sqlite:///file.db"},
		{"env fills a missing url", noURL, map[string]string{"DATABASE_URL": "sqlite:///env.db"}, "sqlite:///env.db"},
		{"default when unset", withDefault, nil, "sqlite:///x.db"},
		{"default when empty", withDefault, map[string]string{"DATABASE_URL": ""}, "sqlite:///x.db"},
		{"expanded from env", withDefault, map[string]string{"DATABASE_URL": "sqlite:///env.db"}, "sqlite:///env.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := LoadConfig(tt.file, mapLookup(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Database.URL != tt.want {
				t.Errorf("Database.URL = %q, want %q", cfg.Database.URL, tt.want)
			}
			if want := filepath.Join(dir, "a.csv"); cfg.Jobs[0].Source.Path != want {
				t.Errorf("Source.Path = %q, want %q", cfg.Jobs[0].Source.Path, want)
			}
		})
	}
}

// TestLoadRootConfig keeps the shipped config.yaml loadable.
func TestLoadRootConfig(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("../config.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != filepath.Join(root, "config.yaml") {
		t.Errorf("Path = %q, want %q", cfg.Path, filepath.Join(root, "config.yaml"))
	}
	if cfg.Database.URL != "sqlite:///sockmarket.db" {
		t.Errorf("Database.URL = %q, want sqlite:///sockmarket.db", cfg.Database.URL)
	}
	type summary struct {
		name, schedule, path, table string
		key                         []string
		mode                        models.Mode
		columns                     int
		rejects                     rejectLimit
		rejectDir                   string
	}
	var got []summary
	for _, j := range cfg.Jobs {
		got = append(got, summary{j.Name, j.Schedule, j.Source.Path, j.Table, j.Key, j.Mode, len(j.Columns), j.rejectLimit, j.Rejects.Dir})
	}
	want := []summary{
		{"socks", "0 3 1 * *", filepath.Join(root, "sample-data", "socks-*.csv"), "socks", []string{"sku"}, models.ModeUpsert, 9,
			rejectLimit{count: 100}, filepath.Join(root, "rejects")},
		{"stock", "30 3 1 * *", filepath.Join(root, "sample-data", "stock-*.csv"), "stock_levels", []string{"warehouse", "sku"}, models.ModeUpsert, 5,
			rejectLimit{percent: 5, isPct: true}, filepath.Join(root, "rejects")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jobs:\n got %+v\nwant %+v", got, want)
	}
	// colour has no type: it defaults to text.
	if c := cfg.Jobs[0].Columns[4]; c.Name != "colour" || c.CSV != "Color" || c.Type != "text" {
		t.Errorf("socks columns[4] = %+v, want colour read from Color as text", c)
	}
}
