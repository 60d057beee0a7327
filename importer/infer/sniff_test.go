package infer_test

import (
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer/infer"
)

func TestDelimiter(t *testing.T) {
	tests := []struct {
		name, head string
		want       rune
	}{
		{"comma", "a,b,c\n1,2,3\n4,5,6\n", ','},
		{"semicolon with decimal commas", "a;b;c\n1,5;2,25;3\n4;5;6\n", ';'},
		{"tab", "a\tb\n1\t2\n", '\t'},
		{"pipe", "a|b|c\n1|2|3\n", '|'},
		{"comma inside quotes", "name;city\n\"Doe, J\";\"Paris, FR\"\nX;Y\n", ';'},
		{"one column", "email\na@x\nb@x\n", ','},
		{"a line cut at the end of the head", "a;b\n1;2\n3;4\n5", ';'},
	}
	for _, tt := range tests {
		if got := infer.Delimiter([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: Delimiter = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestEncodingOf(t *testing.T) {
	tests := []struct {
		name, head string
		want       string
		bom        bool
	}{
		{"plain", "a,b\n1,2\n", "utf-8", false},
		{"UTF-8 BOM", "\xef\xbb\xbfa,b\n", "utf-8", true},
		{"UTF-16LE BOM", "\xff\xfea\x00,\x00b\x00", "utf-16", true},
		{"UTF-16BE BOM", "\xfe\xff\x00a\x00,\x00b", "utf-16", true},
		{"UTF-16LE without a BOM", "a\x00,\x00b\x00\n\x001\x00,\x002\x00", "utf-16", false},
	}
	for _, tt := range tests {
		got := infer.EncodingOf([]byte(tt.head))
		if got.Name != tt.want || got.BOM != tt.bom {
			t.Errorf("%s: EncodingOf = %+v, want %s bom %v", tt.name, got, tt.want, tt.bom)
		}
	}
}

// TestUTF8Check writes text in pieces that cut characters in two: only
// bytes that are not UTF-8 make it invalid.
func TestUTF8Check(t *testing.T) {
	text := strings.Repeat("Crème brûlée, ʤ, 😀; ", 50)
	for size := 1; size <= 7; size++ {
		var u infer.UTF8Check
		for i := 0; i < len(text); i += size {
			u.Write([]byte(text[i:min(i+size, len(text))]))
		}
		if !u.Valid() {
			t.Errorf("pieces of %d bytes: valid UTF-8 reported invalid", size)
		}
	}
	var u infer.UTF8Check
	u.Write([]byte("caf\xe9 au lait")) // latin1 é
	if u.Valid() {
		t.Error("latin1 reported valid UTF-8")
	}
	var cut infer.UTF8Check
	cut.Write([]byte("caf\xc3")) // the file ends inside a character
	if cut.Valid() {
		t.Error("a character cut at the end reported valid")
	}
}
