package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// TestPrintResultEscapesNames: a file name with a newline or an escape
// sequence stays on its summary line, Go-quoted; a plain one is as it is.
func TestPrintResultEscapesNames(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"/dumps/socks-09.csv", "socks /dumps/socks-09.csv: FAILED after 2 rows: boom\n"},
		{"/dumps/socks-09\n.csv", `socks "/dumps/socks-09\n.csv": FAILED after 2 rows: boom` + "\n"},
		{"/dumps/\x1b[2Jsocks.csv", `socks "/dumps/\x1b[2Jsocks.csv": FAILED after 2 rows: boom` + "\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		printResult(&b, importer.Result{Job: "socks", Path: tt.path, Status: models.StatusFailed, Rows: 2, Err: errors.New("boom")})
		if b.String() != tt.want {
			t.Errorf("printResult(%q) = %q, want %q", tt.path, b.String(), tt.want)
		}
	}
}
