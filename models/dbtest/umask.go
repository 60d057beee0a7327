package dbtest

import (
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Umask is the process's file mode creation mask, read from
// /proc/self/status (Linux 4.7 and later) rather than set and reset with
// umask(2), which would race with parallel tests creating files. Where it
// cannot be read it is 022, the usual one.
func Umask(t testing.TB) fs.FileMode {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o022
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(m)
			}
		}
	}
	return 0o022
}

// CheckMode fails the test unless path has the permission bits a file
// created with mode gets under the process's umask.
func CheckMode(t testing.TB, path string, mode fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if want := mode &^ Umask(t); st.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
	}
}
