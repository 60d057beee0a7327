package appmodels

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// pythonKeywords are Python 3's reserved words: no attribute or class may
// be named so. (Soft keywords such as match and type are fine.)
var pythonKeywords = []string{
	"False", "None", "True", "and", "as", "assert", "async", "await", "break",
	"class", "continue", "def", "del", "elif", "else", "except", "finally",
	"for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
	"not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
}

// modelAttributes are names a column attribute may not take in a
// Flask-SQLAlchemy model: the model's own attributes, and db, which a
// class body assigning it would shadow for the columns after it.
var modelAttributes = []string{"db", "metadata", "query", "query_class", "registry"}

// moduleNames are the names models.py defines or imports at the top
// level, which a class may not take.
var moduleNames = []string{"SQLAlchemy", "include_object"}

// className is the Python class for a table: its words capitalised, the
// last one made singular (socks → Sock, stock_levels → StockLevel).
func className(table string) string {
	var words []string
	for _, w := range strings.Split(table, "_") {
		if w != "" {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return "Table"
	}
	words[len(words)-1] = singular(words[len(words)-1])
	var b strings.Builder
	for _, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	name := b.String()
	if unicode.IsDigit([]rune(name)[0]) {
		name = "Table" + name
	}
	if slices.Contains(pythonKeywords, name) || slices.Contains(moduleNames, name) {
		name += "_"
	}
	return name
}

// singular undoes the common English plural endings; a word it does not
// know is kept.
func singular(w string) string {
	l := strings.ToLower(w)
	switch {
	case len(l) > 3 && strings.HasSuffix(l, "ies"):
		return w[:len(w)-3] + matchCase(w[len(w)-3:], "y")
	case strings.HasSuffix(l, "sses"), strings.HasSuffix(l, "xes"), strings.HasSuffix(l, "ches"),
		strings.HasSuffix(l, "shes"), strings.HasSuffix(l, "zzes"):
		return w[:len(w)-2]
	case strings.HasSuffix(l, "ss"), strings.HasSuffix(l, "us"), strings.HasSuffix(l, "is"), len(l) <= 3:
		return w
	case strings.HasSuffix(l, "s"):
		return w[:len(w)-1]
	}
	return w
}

// matchCase returns repl in upper case when ending is.
func matchCase(ending, repl string) string {
	if ending == strings.ToUpper(ending) {
		return strings.ToUpper(repl)
	}
	return repl
}

// attrName is the Python attribute for a column named name: the name
// itself where Python and Flask-SQLAlchemy allow it. Otherwise a keyword
// or a model attribute gets a trailing underscore (class_), a name
// starting with __ (which Python would mangle) or _sa_ (SQLAlchemy's)
// gets a leading "col"; taken holds the attributes given so far.
func attrName(name string, taken map[string]bool) string {
	a := name
	switch {
	case strings.HasPrefix(a, "__"), strings.HasPrefix(a, "_sa_"):
		a = "col" + a
	case slices.Contains(pythonKeywords, a), slices.Contains(modelAttributes, a):
		a += "_"
	}
	for base, n := a, 2; taken[a]; n++ {
		a = base + strconv.Itoa(n)
	}
	taken[a] = true
	return a
}

// pyString is s as a Python string literal. Go's quoting of valid UTF-8
// (\", \\, \n, \t, \xNN, \uNNNN, \UNNNNNNNN) means the same in Python.
func pyString(s string) string { return strconv.Quote(s) }
