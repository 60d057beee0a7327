package pythontest

import (
	"os"
	"testing"
)

// TestCheck: a module the interpreter lacks is named with Python's own
// reason, which Require prints with the package to install.
func TestCheck(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(Interpreter); err != nil {
		if got, want := check("json"), Interpreter+": "+err.Error(); got != want {
			t.Errorf("check(json) = %q, want %q", got, want)
		}
		return
	}
	if got := check("json"); got != "" {
		t.Errorf("check(json) = %q, want nothing", got)
	}
	const want = Interpreter + " cannot import sluice_no_such_module (ModuleNotFoundError: No module named 'sluice_no_such_module')"
	if got := check("sluice_no_such_module"); got != want {
		t.Errorf("check = %q\nwant %q", got, want)
	}
}
