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
			cfg, err := importer.LoadConfig(filepath.Join(dir, "config.yaml"), func(name string) (string, bool) {
				v, ok := tt.env[name]
				return v, ok
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Path = tt.path
			target, err := models.ParseURL(cfg.Database.URL, cfg.Dir())
			if err != nil {
				t.Fatal(err)
			}
			opt := tt.opt
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
		})
	}
}
