package systemd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// unitSafe refuses what sluice does not escape for a unit file: quotes,
// backslashes and control characters in a path. Spaces, '%' and '$' are
// escaped where they are written.
func unitSafe(path string) error {
	if strings.ContainsFunc(path, func(r rune) bool { return unicode.IsControl(r) || r == '"' || r == '\\' }) {
		return fmt.Errorf("path %q has a quote, backslash or control character, which sluice does not write into systemd units; rename it", path)
	}
	return nil
}

// escapeSpecifiers keeps systemd from reading '%' in a value as a
// specifier such as %h.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// unitWord quotes a word of a space-separated setting when it needs it;
// unitSafe has already refused the characters quoting cannot carry.
func unitWord(s string) string {
	s = escapeSpecifiers(s)
	if s == "" || strings.ContainsFunc(s, unicode.IsSpace) || strings.Contains(s, "'") {
		return `"` + s + `"`
	}
	return s
}

// execLine is an ExecStart= command line; '$' is doubled since systemd
// expands $VARIABLES there.
func execLine(args ...string) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = unitWord(strings.ReplaceAll(a, "$", "$$"))
	}
	return strings.Join(words, " ")
}

// pathList is a space-separated list of paths, such as ReadWritePaths=.
func pathList(paths []string) string {
	words := make([]string, len(paths))
	for i, p := range paths {
		words[i] = unitWord(p)
	}
	return strings.Join(words, " ")
}

// formatSpan writes d as a systemd time span, such as "1h 30min".
func formatSpan(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}} {
		if n := d / u.unit; n > 0 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+u.name)
			d -= n * u.unit
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " ")
}

// ValidAccountName reports whether s can be written as a User= or Group=
// value as it is.
func ValidAccountName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == ':' })
}
