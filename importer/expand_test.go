package importer

import "testing"

// mapLookup is an environment made of vars, in the shape of os.LookupEnv.
func mapLookup(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	env := mapLookup(map[string]string{
		"HOST":    "db.example",
		"PORT":    "5432",
		"EMPTY":   "",
		"_X1":     "underscore",
		"DOLLAR":  "pa$$w${rd}", // a value is never expanded again
		"lower_v": "lower",
	})
	tests := []struct {
		name string
		in   string
		want string
		err  string // expandEnv error text; "" means success
	}{
		{name: "no variables", in: "url: sqlite:///x.db\n", want: "url: sqlite:///x.db\n"},
		{name: "empty input", in: "", want: ""},
		{name: "set", in: "${HOST}", want: "db.example"},
		{name: "set in text", in: "postgres://u@${HOST}:${PORT}/app", want: "postgres://u@db.example:5432/app"},
		{name: "adjacent", in: "${HOST}${PORT}", want: "db.example5432"},
		{name: "underscore and digits", in: "${_X1}", want: "underscore"},
		{name: "lower case name", in: "${lower_v}", want: "lower"},
		{name: "set wins over default", in: "${HOST:-localhost}", want: "db.example"},
		{name: "unset with default", in: "${NOPE:-localhost}", want: "localhost"},
		{name: "unset with empty default", in: "a${NOPE:-}b", want: "ab"},
		{name: "default with URL", in: "url: ${DATABASE_URL:-sqlite:///x.db}", want: "url: sqlite:///x.db"},
		{name: "default containing :-", in: "${NOPE:-a:-b}", want: "a:-b"},
		{name: "default containing $", in: "${NOPE:-pa$word}", want: "pa$word"},
		{name: "set but empty with default", in: "[${EMPTY:-fallback}]", want: "[fallback]"},
		{name: "set but empty without default", in: "[${EMPTY}]", want: "[]"},
		{name: "value not expanded again", in: "${DOLLAR}", want: "pa$$w${rd}"},
		{name: "escape", in: "$${HOST}", want: "${HOST}"},
		{name: "escape then variable", in: "$${HOST} ${HOST}", want: "${HOST} db.example"},
		{name: "escape of unset name", in: "cost: $${NOPE}", want: "cost: ${NOPE}"},
		{name: "bare dollar untouched", in: "$HOST $PORT", want: "$HOST $PORT"},
		{name: "bare dollar in password", in: "pa$$word$", want: "pa$$word$"},
		{name: "lone brace untouched", in: "{HOST} $ {", want: "{HOST} $ {"},
		{name: "close brace alone", in: "}", want: "}"},
		{
			name: "unset without default",
			in:   "url: ${DATABASE_URL}",
			err:  "${DATABASE_URL} is not set and has no default (write ${DATABASE_URL:-value})",
		},
		{name: "unset after a good one", in: "${HOST} ${NOPE}", err: "${NOPE} is not set and has no default (write ${NOPE:-value})"},
		{name: "empty name", in: "${}", err: "bad variable name in ${}"},
		{name: "empty name with default", in: "${:-x}", err: "bad variable name in ${:-x}"},
		{name: "leading digit", in: "${1HOST}", err: "bad variable name in ${1HOST}"},
		{name: "dash", in: "${MY-VAR}", err: "bad variable name in ${MY-VAR}"},
		{name: "spaces", in: "${ HOST }", err: "bad variable name in ${ HOST }"},
		{name: "shell := form", in: "${HOST:=x}", err: "bad variable name in ${HOST:=x}"},
		{name: "shell - form", in: "${HOST-x}", err: "bad variable name in ${HOST-x}"},
		{name: "dot", in: "${a.b}", err: "bad variable name in ${a.b}"},
		{name: "unclosed", in: "url: ${DATABASE_URL", err: `unclosed "${DATABASE_URL"`},
		{name: "unclosed is cut at 20 bytes", in: "${DATABASE_URL:-sqlite:///x.db\n", err: `unclosed "${DATABASE_URL:-sqli"`},
		{name: "unclosed after a good one", in: "${HOST} ${PORT", err: `unclosed "${PORT"`},
		{name: "unclosed at end", in: "x${", err: `unclosed "${"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := expandEnv(tt.in, env)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("expandEnv(%q) = %q, want error %q", tt.in, got, tt.err)
				}
				if err.Error() != tt.err {
					t.Fatalf("expandEnv(%q) error:\n got %q\nwant %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("expandEnv(%q): unexpected error %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("expandEnv(%q):\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
