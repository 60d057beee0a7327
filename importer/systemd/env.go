package systemd

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// Environment is what the services will see of the environment: the
// variables of their EnvironmentFile=, not those of the shell the units
// are generated from. Lookup falls back to the shell for what the file
// (often root's alone, so unreadable) does not say, and remembers what it
// took from there, which the services will not have.
type Environment struct {
	path      string
	file      map[string]string // nil: the file cannot be read
	shell     func(string) (string, bool)
	fromShell []string
	used      bool // Lookup found a value: the services need the file
}

// ReadEnvironment reads the EnvironmentFile at path, a missing or
// unreadable one being empty; shell looks up what it does not say
// (os.LookupEnv outside tests).
func ReadEnvironment(path string, shell func(string) (string, bool)) *Environment {
	return &Environment{path: path, file: readEnvFile(path), shell: shell}
}

// Lookup looks name up as the services will, for importer.LoadConfig.
func (e *Environment) Lookup(name string) (string, bool) {
	if v, ok := e.file[name]; ok {
		e.used = e.used || v != ""
		return v, true
	}
	v, ok := e.shell(name)
	if v != "" && !slices.Contains(e.fromShell, name) {
		e.fromShell = append(e.fromShell, name)
	}
	e.used = e.used || v != ""
	return v, ok
}

// Needed reports whether the config, loaded through Lookup, took a value
// from the environment (DATABASE_URL above all): the services cannot do
// without the file then, and should fail to start rather than fall back
// to a default such as ${DATABASE_URL:-sqlite:///…}.
func (e *Environment) Needed() bool { return e.used }

// readEnvFile reads the KEY=VALUE lines of a systemd EnvironmentFile;
// nil when it cannot be read.
func readEnvFile(path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok || line[0] == '#' || line[0] == ';' {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[strings.TrimSpace(k)] = v
	}
	return vars
}

// databaseURLVarRE matches ${DATABASE_URL} and ${DATABASE_URL:-default},
// not the escaped $${DATABASE_URL}.
var databaseURLVarRE = regexp.MustCompile(`(^|[^$])\$\{DATABASE_URL(\}|:-)`)

// Notes tell the operator what must go into the env file for cfg, which
// was loaded through Lookup: the variables that came from the shell. No
// value is given, but for the DATABASE_URL line, redacted.
func (e *Environment) Notes(cfg *importer.ConfigFile) []string {
	there := "put it there"
	if _, err := os.Stat(e.path); err == nil && e.file == nil {
		there = "sluice cannot read it to check: make sure it is there"
	}
	var notes, others []string
	for _, name := range e.fromShell {
		if name != "DATABASE_URL" {
			others = append(others, name+"=…")
			continue
		}
		url, redacted := cfg.Database.URL, models.Redact(cfg.Database.URL)
		hint := ""
		if redacted != url {
			hint = " with the real password for xxxxx"
		}
		notes = append(notes, fmt.Sprintf("the database URL comes from DATABASE_URL; the units only name %s, so %s (mode 0600)%s:\n  DATABASE_URL=%s", e.path, there, hint, redacted))
	}
	if len(others) > 0 {
		notes = append(notes, fmt.Sprintf("the config takes %s from this shell; the services only have what %s holds, so add them there", strings.Join(others, " "), e.path))
	}
	raw := rawDatabaseURL(cfg.Path)
	switch {
	case slices.Contains(e.fromShell, "DATABASE_URL") || e.file["DATABASE_URL"] != "":
	case databaseURLVarRE.MatchString(raw):
		// Unset, so it has a default: LoadConfig refuses it otherwise.
		notes = append(notes, fmt.Sprintf("database.url uses ${DATABASE_URL}, which the services read from %s; without it there they use the default, %s", e.path, models.Redact(cfg.Database.URL)))
	case literalPassword(raw):
		notes = append(notes, fmt.Sprintf("%s holds the database password; the units do not copy it, but url: ${DATABASE_URL} there and DATABASE_URL=… in %s would keep it out of the config", cfg.Path, e.path))
	}
	return notes
}

// literalPassword reports whether a URL as written in the config spells
// out a password, rather than taking it from a ${VAR}.
func literalPassword(raw string) bool {
	_, rest, ok := strings.Cut(raw, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return false
	}
	_, pw, has := strings.Cut(rest[:at], ":")
	return has && pw != "" && !strings.Contains(pw, "${")
}

// rawDatabaseURL is database.url as written in the config, before ${VAR}
// expansion.
func rawDatabaseURL(path string) string {
	var raw struct {
		Database struct {
			URL string `yaml:"url"`
		} `yaml:"database"`
	}
	data, err := os.ReadFile(path)
	if err != nil || yaml.Unmarshal(data, &raw) != nil {
		return ""
	}
	return raw.Database.URL
}
