package systemd

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
)

// TestEnvironmentNotes: what the operator is told to put in the env file,
// with no secret but the redacted DATABASE_URL line.
func TestEnvironmentNotes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const envFile = "/etc/sluice/sluice.env" // does not exist
	tests := []struct {
		name, rawURL, url string
		fileEnv           map[string]string
		fromShell         []string
		envFile           string
		want              []string
	}{
		{
			name: "DATABASE_URL from the shell", rawURL: "${DATABASE_URL}", url: "mysql://app:hunter2@db/shop",
			fromShell: []string{"DATABASE_URL"},
			want: []string{"the database URL comes from DATABASE_URL; the units only name /etc/sluice/sluice.env, so put it there (mode 0600) with the real password for xxxxx:\n" +
				"  DATABASE_URL=mysql://app:xxxxx@db/shop"},
		},
		{
			name: "other variables from the shell", rawURL: "postgres://app:${DB_PASSWORD}@${DB_HOST}/shop", url: "postgres://app:hunter2@db/shop",
			fromShell: []string{"DB_PASSWORD", "DB_HOST"},
			want:      []string{"the config takes DB_PASSWORD=… DB_HOST=… from this shell; the services only have what /etc/sluice/sluice.env holds, so add them there"},
		},
		{
			name: "DATABASE_URL in the env file", rawURL: "${DATABASE_URL}", url: "mysql://app:hunter2@db/shop",
			fileEnv: map[string]string{"DATABASE_URL": "mysql://app:hunter2@db/shop"},
		},
		{
			name: "unreadable env file", rawURL: "${DATABASE_URL}", url: "sqlite:///x.db", fromShell: []string{"DATABASE_URL"},
			envFile: dir, // a folder: it exists, but does not read as a file
			want: []string{"the database URL comes from DATABASE_URL; the units only name " + dir + ", so sluice cannot read it to check: make sure it is there (mode 0600):\n" +
				"  DATABASE_URL=sqlite:///x.db"},
		},
		{
			name: "the default", rawURL: "${DATABASE_URL:-sqlite:///x.db}", url: "sqlite:///x.db",
			want: []string{"database.url uses ${DATABASE_URL}, which the services read from /etc/sluice/sluice.env; without it there they use the default, sqlite:///x.db"},
		},
		{
			name: "a password in the config", rawURL: "postgres://app:hunter2@db/shop", url: "postgres://app:hunter2@db/shop",
			want: []string{"{config} holds the database password; the units do not copy it, but url: ${DATABASE_URL} there and DATABASE_URL=… in /etc/sluice/sluice.env would keep it out of the config"},
		},
		{name: "no password", rawURL: "postgres://app@db/shop", url: "postgres://app@db/shop"},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, strconv.Itoa(i)+".yaml")
		if err := os.WriteFile(path, []byte("database:\n  url: \""+tt.rawURL+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := &importer.ConfigFile{Path: path, Database: importer.DatabaseConfig{URL: tt.url}}
		if tt.envFile == "" {
			tt.envFile = envFile
		}
		got := (&Environment{path: tt.envFile, file: tt.fileEnv, fromShell: tt.fromShell}).Notes(cfg)
		for i := range tt.want {
			tt.want[i] = strings.ReplaceAll(tt.want[i], "{config}", path)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got: %q\nwant: %q", tt.name, got, tt.want)
		}
		if strings.Contains(strings.Join(got, "\n"), "hunter2") {
			t.Errorf("%s: the password was printed", tt.name)
		}
	}
}

// TestReadEnvironment: the services' variables come from the env file;
// what it lacks comes from the shell and is remembered, once, for Notes.
func TestReadEnvironment(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sluice.env")
	const file = "# a comment\n; another\n\nDATABASE_URL = 'postgres://app:pw@db/shop'\n  DB_HOST=\"db.internal\"  \nEMPTY=\nHALF='x\nnot a variable\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	shell := map[string]string{"DB_HOST": "localhost", "DB_USER": "alice", "BLANK": ""}
	env := ReadEnvironment(path, func(name string) (string, bool) {
		v, ok := shell[name]
		return v, ok
	})
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"DATABASE_URL", "postgres://app:pw@db/shop", true},
		{"DB_HOST", "db.internal", true}, // the file wins over the shell
		{"EMPTY", "", true},
		{"HALF", "'x", true},
		{"DB_USER", "alice", true}, // from the shell
		{"DB_USER", "alice", true}, // remembered once
		{"BLANK", "", true},        // set but empty in the shell: nothing to put in the file
		{"MISSING", "", false},
	}
	for _, tt := range tests {
		if v, ok := env.Lookup(tt.name); v != tt.value || ok != tt.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.value, tt.ok)
		}
	}
	if want := []string{"DB_USER"}; !slices.Equal(env.fromShell, want) {
		t.Errorf("from the shell: %q, want %q", env.fromShell, want)
	}

	// A missing file is empty: everything comes from the shell.
	env = ReadEnvironment(filepath.Join(t.TempDir(), "missing.env"), func(name string) (string, bool) {
		v, ok := shell[name]
		return v, ok
	})
	if v, ok := env.Lookup("DB_HOST"); v != "localhost" || !ok || env.file != nil || !slices.Equal(env.fromShell, []string{"DB_HOST"}) {
		t.Errorf("missing env file: Lookup(DB_HOST) = %q, %v; file %v, from the shell %q", v, ok, env.file, env.fromShell)
	}
}
