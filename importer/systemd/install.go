package systemd

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
)

// InstallCommands tells the operator how to install the units once they
// are written into dir, an absolute path: either the import service with
// its timer, or the daemon's service, not both.
func InstallCommands(dir string) string {
	path := func(name string) string { return shellQuote(filepath.Join(dir, name)) }
	const then = " /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now "
	var b strings.Builder
	fmt.Fprintf(&b, "Install one of the two, not both (they would run the same imports):\n\n")
	fmt.Fprintf(&b, "  Scheduled imports (the timer starts sluice import):\n    sudo cp %s %s%s%s\n\n", path(ImportUnit), path(TimerUnit), then, TimerUnit)
	fmt.Fprintf(&b, "  Or the daemon (it runs the jobs on their schedules itself):\n    sudo cp %s%s%s\n", path(DaemonUnit), then, DaemonUnit)
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("/._-+,:@=%", r)))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
