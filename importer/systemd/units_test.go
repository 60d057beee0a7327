package systemd

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/systemd/systemdtest"
	"github.com/sluice-dev/sluice/models"
)

// maxExposure is the worst systemd-analyze security score a generated
// service may have ("OK" in its words is below 5; 9.0 was "UNSAFE").
const maxExposure = 2.5

var updateGolden = flag.Bool("update", false, "rewrite the golden units in testdata")

// TestUnitsGolden builds the units for the configs in testdata and
// compares them with the files there (go test -run UnitsGolden -update
// rewrites them); then systemd-analyze verify must find nothing
// to say about them.
func TestUnitsGolden(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pw"
	tests := []struct {
		name, path string // path: where the config is said to be
		env        map[string]string
		opt        Options
	}{
		{"sqlite", "/srv/app/config.yaml", nil, Options{User: "sluice", Group: "sluice", RandomizedDelay: 5 * time.Minute}},
		// Local files and SQLite, but a webhook: AF_INET and AF_INET6 too.
		{"notify", "/srv/app/config.yaml", nil, Options{User: "sluice", Group: "sluice"}},
		{
			"postgres", "/srv/app/config.yaml",
			map[string]string{"DATABASE_URL": "postgresql://sluice:" + password + "@db.internal:5432/sockmarket"},
			Options{EnvFile: "/etc/sluice/prod.env", User: "sluice", Group: "data"},
		},
		{
			"home", "/home/alice/sluice/config.yaml", nil,
			Options{Binary: "/home/alice/go/bin/sluice", User: "alice", Group: "alice", OnCalendar: []string{"Mon..Fri *-*-* 07:00:00"}, RandomizedDelay: 90 * time.Second},
		},
		// Remote sources: the network, and the SSH key's folder readable.
		{"remote", "/srv/app/config.yaml", nil, Options{User: "sluice", Group: "sluice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", tt.name)
			// As sluice systemd does: through the env file (none here),
			// then the shell.
			senv := ReadEnvironment(filepath.Join(dir, "no-such.env"), func(name string) (string, bool) {
				v, ok := tt.env[name]
				return v, ok
			})
			cfg, err := importer.LoadConfig(filepath.Join(dir, "config.yaml"), senv.Lookup)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Path = tt.path
			target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
			if err != nil {
				t.Fatal(err)
			}
			opt := tt.opt
			opt.RequireEnvFile = senv.Needed()
			if opt.Binary == "" {
				opt.Binary = "/usr/local/bin/sluice"
			}
			if opt.EnvFile == "" {
				opt.EnvFile = "/etc/sluice/sluice.env"
			}
			p, err := PlanUnits(cfg, target, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range p.Units() {
				golden := filepath.Join(dir, u.Name)
				if *updateGolden {
					if err := os.WriteFile(golden, []byte(u.Text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if u.Text != string(want) {
					t.Errorf("%s differs from %s (go test -run UnitsGolden -update rewrites it):\n%s", u.Name, golden, u.Text)
				}
				if strings.Contains(u.Text, password) || strings.Contains(u.Text, "db.internal") {
					t.Errorf("%s holds the database URL:\n%s", u.Name, u.Text)
				}
			}

			// The same units, running a binary that exists, for verify.
			analyze := systemdtest.Analyze(t)
			opt.Binary = systemdtest.Executable(t)
			p, err = PlanUnits(cfg, target, opt)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			var paths []string
			for _, u := range p.Units() {
				paths = append(paths, filepath.Join(out, u.Name))
				if err := os.WriteFile(paths[len(paths)-1], []byte(u.Text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			systemdtest.Verify(t, analyze, paths...)
			for _, path := range paths {
				if !strings.HasSuffix(path, ".service") {
					continue
				}
				if score := systemdtest.Exposure(t, analyze, path); score > maxExposure {
					t.Errorf("%s: systemd-analyze security scores it %.1f, want at most %.1f", filepath.Base(path), score, maxExposure)
				}
			}
		})
	}
}
