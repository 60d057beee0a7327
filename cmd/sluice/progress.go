package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sluice-dev/sluice/importer"
)

// progressDelay is how long a file must take before its progress shows:
// a quick file never flashes a bar, a slow one shows within a second.
const progressDelay = 500 * time.Millisecond

// progressTick is how often the line is redrawn while a file imports.
const progressTick = 200 * time.Millisecond

// isTerminal reports whether w is a terminal; progress is never written
// into logs or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is w's width in columns, 80 when it cannot be told.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// progressLine draws one line on a terminal for the file being imported:
// its pass, how far it has read, how fast, and the rows loaded. It is
// redrawn on a clock (now, tick) rather than on every report, so it also
// moves while no bytes do (the merge) and costs the import nothing.
type progressLine struct {
	w     io.Writer
	width int
	now   func() time.Time

	mu        sync.Mutex
	name      string
	size      int64
	began     time.Time // the file's start
	p         importer.Progress
	passStart time.Time
	drawn     bool
	stop      chan struct{} // ends the ticker of the current file
}

// newProgressLine returns a progress line on w (a terminal), redrawn by
// a real ticker.
func newProgressLine(w io.Writer) *progressLine {
	return &progressLine{w: w, width: terminalWidth(w), now: time.Now}
}

// start is the importer's ProgressFunc: a file begins.
func (l *progressLine) start(path string, size int64) func(importer.Progress) {
	l.clear()
	l.mu.Lock()
	l.name, l.size, l.began, l.p, l.passStart = importer.SafeName(filepath.Base(path)), size, l.now(), importer.Progress{}, l.now()
	stop := make(chan struct{})
	l.stop = stop
	l.mu.Unlock()
	go func() {
		t := time.NewTicker(progressTick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				l.tick()
			}
		}
	}()
	return l.update
}

// update takes a report from the importer.
func (l *progressLine) update(p importer.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.Pass != l.p.Pass || p.Done != l.p.Done { // Done: the merge begins
		l.passStart = l.now()
	}
	l.p = p
}

// tick redraws the line once the file has taken progressDelay.
func (l *progressLine) tick() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop == nil || l.now().Sub(l.began) < progressDelay {
		return
	}
	fmt.Fprintf(l.w, "\r%s\x1b[K", l.text())
	l.drawn = true
}

// clear stops the redraws and erases the line, before a file starts and
// before the summaries are printed. A nil line (no terminal) does nothing.
func (l *progressLine) clear() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		close(l.stop)
		l.stop = nil
	}
	if l.drawn {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.drawn = false
	}
}

// text is the line, at most width-1 columns: "socks-2026-10.csv load
// 45% [=======         ] 58/130 MB 40 MB/s 123456 rows".
func (l *progressLine) text() string {
	p := l.p
	pass := p.Pass
	if p.Done {
		pass = "merge"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", l.name, pass)
	if l.size > 0 && !p.Done {
		frac := min(float64(p.Bytes)/float64(l.size), 1)
		const barWidth = 16
		full := int(frac * barWidth)
		fmt.Fprintf(&b, " %3.0f%% [%s%s] %s/%s", frac*100, strings.Repeat("=", full), strings.Repeat(" ", barWidth-full),
			strings.TrimSuffix(megabytes(p.Bytes), " MB"), megabytes(l.size))
		if secs := l.now().Sub(l.passStart).Seconds(); secs > 0 && p.Bytes > 0 {
			fmt.Fprintf(&b, " %s/s", megabytes(int64(float64(p.Bytes)/secs)))
		}
	} else if p.Done {
		fmt.Fprintf(&b, " %s", l.now().Sub(l.passStart).Round(time.Second))
	}
	if p.Rows > 0 {
		fmt.Fprintf(&b, " %d rows", p.Rows)
	}
	s := []rune(b.String())
	if limit := l.width - 1; len(s) > limit && limit > 0 {
		s = s[:limit]
	}
	return string(s)
}

// megabytes is n in MB (10^6 bytes), as sizes are shown by ls -h --si.
func megabytes(n int64) string {
	if n < 10_000_000 {
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d MB", n/1_000_000)
}
