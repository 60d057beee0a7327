package importer

import (
	"errors"
	"io/fs"
	"testing"
)

func TestSafeName(t *testing.T) {
	tests := []struct{ name, safe, file string }{
		{"dumps/socks-09.csv", "dumps/socks-09.csv", "dumps/socks-09.csv"},
		{"dumps/ünïcode € 🧦.csv", "dumps/ünïcode € 🧦.csv", "dumps/ünïcode € 🧦.csv"},
		{"dumps/a\nb.csv", `"dumps/a\nb.csv"`, `dumps/a\nb.csv`},
		{"a\x1b[31m\tb", `"a\x1b[31m\tb"`, `a\x1b[31m\tb`},
		{"caf\xe9.csv", `"caf\xe9.csv"`, `caf\xe9.csv`},
	}
	for _, tt := range tests {
		if got := SafeName(tt.name); got != tt.safe {
			t.Errorf("SafeName(%q) = %s, want %s", tt.name, got, tt.safe)
		}
		if got := fileSafe(tt.name); got != tt.file {
			t.Errorf("fileSafe(%q) = %s, want %s", tt.name, got, tt.file)
		}
	}
	_, err := openLocal(t.Context(), t.TempDir()+"/no\nsuch.csv")
	if !errors.Is(err, fs.ErrNotExist) || !printable(err.Error()) {
		t.Errorf("open error %q: not ErrNotExist, or not printable", err)
	}
}
