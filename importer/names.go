package importer

import (
	"errors"
	"io/fs"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// SafeName is a file name as it can be printed in a summary, a log or an
// error: as it is when every character is printable, Go-quoted otherwise
// ("dump\n2026.csv"), so that a newline or a terminal escape in a name can
// neither split a line nor forge one.
func SafeName(name string) string {
	if printable(name) {
		return name
	}
	return strconv.Quote(name)
}

// fileSafe is SafeName without the quotes, for a name that goes into
// another file's name: no control character reaches the file system.
func fileSafe(name string) string {
	if printable(name) {
		return name
	}
	q := strconv.Quote(name)
	return q[1 : len(q)-1]
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// safePathError is err with the path of its *fs.PathError made SafeName,
// when that changes it; errors.Is still sees the cause.
func safePathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && !printable(pe.Path) {
		return &fs.PathError{Op: pe.Op, Path: SafeName(pe.Path), Err: pe.Err}
	}
	return err
}
