package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
)

func mustServer(t *testing.T, kind, raw string) server {
	t.Helper()
	srv, err := newServer(kind, raw, map[string]string{"postgres": "psql", "mysql": "mariadb"}[kind])
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

const (
	socksCols = `"sku", "name", "style", "size", "colour", "price", "quantity", "in_stock", "updated_on"`
	socksSel  = `"sku", "name", "style", "size", "Color", "price", "quantity", "in_stock", "updated_on"`
	myCols    = "`sku`, `name`, `style`, `size`, `colour`, `price`, `quantity`, `in_stock`, `updated_on`"
	// myLoad is LOAD DATA of sockgen's header into a table, %s.
	myLoad = "LOAD DATA LOCAL INFILE '/d/x.csv' INTO TABLE `%s` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' IGNORE 1 LINES " +
		"(`sku`, `name`, @f2, @f3, @f4, `price`, @f6, `quantity`, @f8, `updated_on`) " +
		"SET `colour` = NULLIF(@f2, ''), `size` = NULLIF(@f3, ''), `style` = NULLIF(@f4, ''), " +
		"`in_stock` = CASE WHEN @f6 IN ('1', 't', 'y', 'yes', 'true') THEN TRUE WHEN @f6 IN ('0', 'f', 'n', 'no', 'false') THEN FALSE END;"
)

func TestLoadScript(t *testing.T) {
	t.Parallel()
	pgStage := "BEGIN;\n" +
		`CREATE TEMP TABLE socks_stage ON COMMIT DROP AS SELECT "sku", "name", "colour" AS "Color", "size", "style", "price", "in_stock", "quantity", NULL::text AS "Supplier", "updated_on" FROM socks WITH NO DATA;` + "\n" +
		`\copy socks_stage FROM '/d/x.csv' WITH (FORMAT csv, HEADER true)` + "\n" +
		"INSERT INTO socks AS t (" + socksCols + ") SELECT " + socksSel + " FROM socks_stage"
	tests := []struct {
		name, kind string
		upsert     bool
		want       string
	}{
		{"postgres insert", "postgres", false, pgStage + ";\nCOMMIT;\n"},
		{"postgres upsert", "postgres", true, pgStage + ` ON CONFLICT ("sku") DO UPDATE SET ` +
			`"name" = excluded."name", "style" = excluded."style", "size" = excluded."size", "colour" = excluded."colour", "price" = excluded."price", ` +
			`"quantity" = excluded."quantity", "in_stock" = excluded."in_stock", "updated_on" = excluded."updated_on" ` +
			"WHERE (t.*) IS DISTINCT FROM (excluded.*);\nCOMMIT;\n"},
		{"mysql insert", "mysql", false, fmt.Sprintf(myLoad, "socks") + "\n"},
		{"mysql upsert", "mysql", true, "START TRANSACTION;\n" +
			"CREATE TEMPORARY TABLE `socks_stage` SELECT " + myCols + " FROM `socks` LIMIT 0;\n" +
			fmt.Sprintf(myLoad, "socks_stage") + "\n" +
			"INSERT INTO `socks` (" + myCols + ") SELECT " + myCols + " FROM `socks_stage` ON DUPLICATE KEY UPDATE " +
			"`name` = VALUES(`name`), `style` = VALUES(`style`), `size` = VALUES(`size`), `colour` = VALUES(`colour`), `price` = VALUES(`price`), " +
			"`quantity` = VALUES(`quantity`), `in_stock` = VALUES(`in_stock`), `updated_on` = VALUES(`updated_on`);\n" +
			"DROP TEMPORARY TABLE `socks_stage`;\nCOMMIT;\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mustServer(t, tt.kind, defaultURLs[tt.kind])
			got, err := srv.loadScript("/d/x.csv", sockgen.Header(), tt.upsert)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("script:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestRawScript(t *testing.T) {
	t.Parallel()
	tests := []struct{ kind, want string }{
		{"postgres", `CREATE TABLE "socks_raw" ("sku" TEXT, "name" TEXT, "Color" TEXT, "size" TEXT, "style" TEXT, "price" TEXT, "in_stock" TEXT, "quantity" TEXT, "Supplier" TEXT, "updated_on" TEXT);` + "\n" +
			`\copy socks_raw FROM '/d/x.csv' WITH (FORMAT csv, HEADER true)` + "\n"},
		{"mysql", "CREATE TABLE `socks_raw` (`sku` TEXT, `name` TEXT, `Color` TEXT, `size` TEXT, `style` TEXT, `price` TEXT, `in_stock` TEXT, `quantity` TEXT, `Supplier` TEXT, `updated_on` TEXT) DEFAULT CHARSET=utf8mb4;\n" +
			"LOAD DATA LOCAL INFILE '/d/x.csv' INTO TABLE `socks_raw` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' IGNORE 1 LINES;\n"},
	}
	for _, tt := range tests {
		got, err := mustServer(t, tt.kind, defaultURLs[tt.kind]).rawScript("/d/x.csv", sockgen.Header())
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s raw script:\n%s\nwant:\n%s", tt.kind, got, tt.want)
		}
	}
}

func TestScriptErrors(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"postgres", "mysql"} {
		srv := mustServer(t, kind, defaultURLs[kind])
		if _, err := srv.loadScript("/d/x.csv", []string{"sku", "name"}, false); err == nil || !strings.Contains(err.Error(), `/d/x.csv: no column "style" in header`) {
			t.Errorf("%s loadScript, missing column: err = %v", kind, err)
		}
		for _, path := range []string{"/d/it's.csv", `/d/a\b.csv`, "/d/a\nb.csv"} {
			want := path + ": the " + srv.names().tool + " reference cannot load a path containing a quote, backslash or newline"
			_, errLoad := srv.loadScript(path, sockgen.Header(), true)
			_, errRaw := srv.rawScript(path, sockgen.Header())
			for _, err := range []error{errLoad, errRaw} {
				if err == nil || err.Error() != want {
					t.Errorf("%s %q: err = %v, want %q", kind, path, err, want)
				}
			}
		}
	}
}

func TestServerCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, url, db string
		query         bool
		wantArgs      []string
		wantEnv       []string
	}{
		{"postgres", "postgres://postgres@127.0.0.1:5432/test", "", true,
			[]string{"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", "postgresql://postgres@127.0.0.1:5432/test"}, nil},
		// The password goes in the environment, not the command line.
		{"postgres", "postgresql+psycopg://u:s%40cret@db.example/app?sslmode=disable", "sluice_bench_x", false,
			[]string{"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgresql://u@db.example/sluice_bench_x?sslmode=disable"}, []string{"PGPASSWORD=s@cret"}},
		{"mysql", "mysql://root@127.0.0.1:3306/test", "", true,
			[]string{"mariadb", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1", "--port=3306", "--user=root", "--default-character-set=utf8mb4",
				"--batch", "--skip-column-names", "--raw", "test"}, nil},
		{"mysql", "mariadb://u:pw@db.example/app", "sluice_bench_x", false,
			[]string{"mariadb", "--no-defaults", "--protocol=TCP", "--host=db.example", "--port=3306", "--user=u", "--default-character-set=utf8mb4",
				"--local-infile=1", "--show-warnings", "sluice_bench_x"}, []string{"MYSQL_PWD=pw"}},
		{"mysql", "mysql://root@localhost/test?unix_socket=/run/mysqld/mysqld.sock", "", false,
			[]string{"mariadb", "--no-defaults", "--socket=/run/mysqld/mysqld.sock", "--user=root", "--default-character-set=utf8mb4",
				"--local-infile=1", "--show-warnings", "test"}, nil},
	}
	for _, tt := range tests {
		srv := mustServer(t, tt.kind, tt.url)
		args, env := srv.command(tt.db, tt.query)
		if !slices.Equal(args, tt.wantArgs) || !slices.Equal(env, tt.wantEnv) {
			t.Errorf("%s command(%q, %v) =\n%q %q\nwant\n%q %q", tt.url, tt.db, tt.query, args, env, tt.wantArgs, tt.wantEnv)
		}
		// sluice gets the URL as given, password included, on the run's database.
		if got, want := withDB(srv.admin(), "d").String(), regexp.MustCompile(`/[a-z]+(\?|$)`).ReplaceAllString(tt.url, "/d$1"); got != want {
			t.Errorf("sluice URL = %q, want %q", got, want)
		}
	}
}

func TestParseFlagsTarget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args                     []string
		db, url, client, wantErr string
	}{
		{nil, "sqlite", "", "", ""},
		{[]string{"-db", "postgres"}, "postgres", "postgres://postgres@127.0.0.1:5432/test", "psql", ""},
		{[]string{"-db", "mysql"}, "mysql", "mysql://root@127.0.0.1:3306/test", "mariadb", ""},
		{[]string{"-db", "mysql", "-url", "mariadb://u:p@h:3307/x", "-client", "/opt/mysql"}, "mysql", "mariadb://u:p@h:3307/x", "/opt/mysql", ""},
		{[]string{"-db", "oracle"}, "", "", "", `-db "oracle": want sqlite, postgres or mysql`},
		{[]string{"-url", "postgres://h/db"}, "", "", "", "-url and -client are for -db postgres or mysql"},
		{[]string{"-db", "postgres", "-url", "mysql://root@h/db"}, "", "", "", `-url mysql://root@h/db: scheme "mysql", want postgres:// or postgresql:// for -db postgres`},
		{[]string{"-db", "mysql", "-url", "mysql://root:secret@h"}, "", "", "", "-url mysql://root:xxxxx@h: name the database to connect to after the host"},
		{[]string{"-db", "mysql", "-url", "mysql:///db"}, "", "", "", "-url mysql:///db: no host"},
	} {
		c, err := parseFlags(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q): err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.db != tt.db || c.url != tt.url || c.client != tt.client {
			t.Errorf("parseFlags(%q) = %q %q %q, %v; want %q %q %q", tt.args, c.db, c.url, c.client, err, tt.db, tt.url, tt.client)
		}
	}
}

func TestSumExprs(t *testing.T) {
	t.Parallel()
	want := "count(*), count(sku), sum(char_length(sku)), count(name), sum(char_length(name)), count(style), sum(char_length(style)), " +
		"count(size), sum(char_length(size)), count(colour), sum(char_length(colour)), sum(price), sum(quantity), " +
		"sum(CASE WHEN in_stock THEN 1 ELSE 0 END), min(updated_on), max(updated_on)"
	if got := strings.Join(sumExprs(), ", "); got != want {
		t.Errorf("sumExprs = %s\nwant %s", got, want)
	}
}

func TestMariaDBSchemaFrom(t *testing.T) {
	t.Parallel()
	out := "socks\tCREATE TABLE `socks` (\n  `sku` varchar(255) NOT NULL,\n  UNIQUE KEY `socks_sku_key` (`sku`)\n) ENGINE=InnoDB"
	want := "CREATE TABLE `socks` (\n  `sku` varchar(255) NOT NULL,\n  UNIQUE KEY `socks_sku_key` (`sku`)\n) ENGINE=InnoDB;\n"
	if got := (&mariadb{}).schemaFrom(out); got != want {
		t.Errorf("schemaFrom = %q, want %q", got, want)
	}
}

// TestReportServer checks what a server report says beyond the SQLite one:
// the target, the client and the reference's method, and step names.
func TestReportServer(t *testing.T) {
	t.Parallel()
	o := sockgen.Options{Rows: 1000, Seed: 1, ChangePct: 10, NewPct: 5}
	srv := mustServer(t, "postgres", defaultURLs["postgres"])
	b := newBench(config{opts: o, runs: 1}, discard, srv)
	b.startRun(1)
	for i, s := range b.steps {
		s.elapsed, s.rssKiB = time.Duration(i+1)*time.Second, 1024
	}
	b.runs = append(b.runs, b.steps)
	e := environment(context.Background(), config{}, srv, serverInfo{version: "15.2", client: "psql (PostgreSQL) 15.2"})
	e.goVersion, e.cpu, e.sluiceBuild = "go1.0", "2 CPUs", "go build -tags cgosqlite"
	var out bytes.Buffer
	if err := printReport(&out, e, o, 1, summarize(b.runs), srv.schemaSource()); err != nil {
		t.Fatal(err)
	}
	want := "### sluice-bench on PostgreSQL: 1,000 rows, 10% changed, 5% new (seed 1), 1 run\n\n" +
		"- go: go1.0, " + e.platform + ", 2 CPUs\n" +
		"- database: PostgreSQL 15.2 at 127.0.0.1:5432, a fresh database for each side of each run\n" +
		"- client: psql (PostgreSQL) 15.2\n" +
		"- reference: " + srv.reference() + "\n" +
		"- sluice: go build -tags cgosqlite\n" +
		"- reference schema: " + srv.schemaSource() + "\n\n" +
		"| step | rows | seconds | range s | rows/s | peak RSS MiB | vs reference |\n" +
		"| --- | ---: | ---: | ---: | ---: | ---: | --- |\n" +
		"| sluice import base.csv | 1,000 | 1.00 | 1.00–1.00 | 1,000 | 1.0 | 2.00× |\n" +
		"| psql \\copy staging import base.csv (reference) | 1,000 | 2.00 | 2.00–2.00 | 500 | 1.0 | reference |\n" +
		"| psql raw \\copy (no index, no types) | 1,000 | 3.00 | 3.00–3.00 | 333 | 1.0 | lower bound |\n" +
		"| sluice import next.csv | 1,050 | 4.00 | 4.00–4.00 | 262 | 1.0 | 1.25× |\n" +
		"| psql \\copy staging upsert next.csv (reference) | 1,050 | 5.00 | 5.00–5.00 | 210 | 1.0 | reference |\n\n" +
		"seconds = median of the 1 run, run interleaved, each on fresh databases; range s = fastest–slowest run; peak RSS = the highest of the runs.\n" +
		"vs reference = median seconds of the psql reference for the same file / median sluice seconds: above 1 means sluice is faster.\n" +
		"Peak RSS of a psql step is the client's; the server's memory is not measured.\n"
	if got := out.String(); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunServers runs the whole benchmark, real sluice binary included
// (built from this module), on each server named by the environment, and
// checks that every step passed (each reference table matched sluice's,
// sum by sum) and that the run's databases are gone.
func TestRunServers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ kind, env, list string }{
		{"postgres", "SLUICE_TEST_POSTGRES_URL", "SELECT datname FROM pg_database WHERE datname LIKE 'sluice_bench_%';"},
		{"mysql", "SLUICE_TEST_MYSQL_URL", "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'sluice_bench_%';"},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			raw := os.Getenv(tt.env)
			if raw == "" {
				t.Skipf("set %s=%s to run", tt.env, defaultURLs[tt.kind])
			}
			if testing.Short() {
				t.Skip("builds sluice")
			}
			cfg, err := parseFlags([]string{"-db", tt.kind, "-url", raw, "-rows", "2000", "-runs", "1", "-sync", "5", "-out", t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := exec.LookPath(cfg.client); err != nil {
				t.Skipf("no %s client: %v", cfg.client, err)
			}
			var logs bytes.Buffer
			var out bytes.Buffer
			if err := run(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), cfg, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			report := out.String()
			srv := mustServer(t, tt.kind, raw)
			names := srv.names()
			for _, want := range []string{
				"### sluice-bench on " + srv.product() + ": 2,000 rows, 10% changed, 5% new (seed 1), 1 run\n",
				"- reference schema: " + srv.schemaSource() + "\n",
				"\n| " + names.base + " | 2,000 | ",
				"\n| " + names.raw + " | 2,000 | ",
				"\n| " + names.next + " | 2,100 | ",
				"\n| " + names.staging + " upsert gone.csv, changed rows only (reference) | 1,995 | ",
				"\n| " + names.staging + " sync gone.csv (5 % deleted, reference) | 1,995 | ",
				"\n| sluice import gone.csv, mode: upsert | 1,995 | ",
				"\n| sluice import gone.csv, mode: sync (5 % deleted) | 1,995 | ",
			} {
				if !strings.Contains(report, want) {
					t.Errorf("report lacks %q:\n%s", want, report)
				}
			}
			if n := regexp.MustCompile(`(?m)^\| sluice import (base|next)\.csv \| [0-9,]+ \| \d+\.\d\d \| .* \| \d+\.\d\d× \|$`).FindAllString(report, -1); len(n) != 2 {
				t.Errorf("want both sluice rows with a ratio:\n%s", report)
			}
			created := regexp.MustCompile(`msg="created database" db=(sluice_bench_\w+)`).FindAllStringSubmatch(logs.String(), -1)
			if len(created) != 2 {
				t.Fatalf("created %d databases, want 2 (sluice's and the reference's):\n%s", len(created), logs.String())
			}
			left, err := newBench(cfg, discard, srv).query(context.Background(), "", tt.list)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range created {
				if slices.Contains(strings.Fields(left), c[1]) {
					t.Errorf("database %s was not dropped", c[1])
				}
			}
		})
	}
}

// TestPreflight checks that an unreachable server fails the run at once,
// before any dump is generated.
func TestPreflight(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("no psql")
	}
	out := t.TempDir()
	// Port 1 refuses connections.
	cfg, err := parseFlags([]string{"-db", "postgres", "-url", "postgres://postgres:pw@127.0.0.1:1/test", "-rows", "10", "-out", out})
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), discard, cfg, &bytes.Buffer{})
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach PostgreSQL at postgres://postgres:xxxxx@127.0.0.1:1/test: ") {
		t.Errorf("run: err = %v, want cannot reach … with the password hidden", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("run wrote %d files into -out before failing", len(entries))
	}
}
