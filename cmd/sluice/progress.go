package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sluice-dev/sluice/importer"
)

// progressMinBytes is the file size from which a bar is worth drawing.
const progressMinBytes = 16 << 20

// isTerminal reports whether w is a terminal; progress bars are never
// written into logs or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws rows and bytes read and MB/s on w for large files.
func progressBar(w io.Writer) importer.ProgressFunc {
	return func(path string, size int64) func(importer.Progress) {
		if size < progressMinBytes {
			return nil
		}
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(filepath.Base(path)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200_000_000),
			progressbar.OptionClearOnFinish(),
		)
		name := importer.SafeName(filepath.Base(path))
		return func(p importer.Progress) {
			bar.Describe(fmt.Sprintf("%s %d rows", name, p.Rows))
			_ = bar.Set64(p.Bytes)
			if p.Done {
				_ = bar.Finish()
			}
		}
	}
}
