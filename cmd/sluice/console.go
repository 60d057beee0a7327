package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// consoleHandler is the log on a terminal: warnings and errors only, one
// short line each ("warning: ignoring CSV columns no column reads
// job=socks file=sample-data/socks-2026-09.csv columns=[Supplier]"), files
// shown as typed, and a warning said once however many files repeat it.
// The summary lines on stdout say the rest. --log-level or --log-format,
// a pipe, and the daemon get slog's structured lines instead.
type consoleHandler struct {
	w     io.Writer
	attrs []slog.Attr
	// skip drops records another output already says (a failed file's
	// error, which its summary line repeats).
	skip func(slog.Record) bool
	mu   *sync.Mutex
	seen map[string]bool
}

func newConsoleHandler(w io.Writer, skip func(slog.Record) bool) *consoleHandler {
	return &consoleHandler{w: w, skip: skip, mu: &sync.Mutex{}, seen: map[string]bool{}}
}

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *consoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup keeps the attributes flat: the console has no use for groups.
func (h *consoleHandler) WithGroup(string) slog.Handler { return h }

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	if h.skip != nil && h.skip(r) {
		return nil
	}
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	var line, key strings.Builder
	line.WriteString(strings.ToLower(levelWord(r.Level)) + ": " + r.Message)
	key.WriteString(r.Level.String() + "\x00" + r.Message)
	for _, a := range attrs {
		v := a.Value.Resolve().String()
		if a.Key == "file" || a.Key == "reject_file" {
			v = displayPath(v)
		}
		if strings.ContainsAny(v, " \"=") || v == "" {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&line, " %s=%s", a.Key, v)
		if a.Key != "file" {
			fmt.Fprintf(&key, "\x00%s=%s", a.Key, v)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// The same warning for the next file of a job (an extra column in
	// every monthly dump) is said once.
	if h.seen[key.String()] {
		return nil
	}
	h.seen[key.String()] = true
	_, err := fmt.Fprintln(h.w, line.String())
	return err
}

func levelWord(l slog.Level) string {
	if l >= slog.LevelError {
		return "error"
	}
	return "warning"
}

// fileFailure is the importer's error line for a file that failed or was
// interrupted, which sluice import's summary line says in full (FAILED
// after … rows: why). Its messages are job.go's "import "+status and
// noFiles'.
func fileFailure(r slog.Record) bool {
	return r.Level >= slog.LevelError && (r.Message == "import failed" || r.Message == "import interrupted")
}
