package didyoumean

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	commands := []string{"import", "daemon", "check", "history", "models", "systemd", "version"}
	flags := []string{"config", "log-format", "log-level", "job", "force", "dry-run", "lock-timeout", "n"}
	tests := []struct {
		word    string
		options []string
		want    string
	}{
		{"improt", commands, "import"},   // two letters swapped
		{"imprt", commands, "import"},    // one missing
		{"Import", commands, "import"},   // case
		{"hist", commands, "history"},    // cut short
		{"deamon", commands, "daemon"},   // swapped
		{"frobnicate", commands, ""},     // nothing near
		{"josb", flags, "job"},           // one extra letter
		{"forc", flags, "force"},         // cut short
		{"log-levl", flags, "log-level"}, // one missing
		{"dryrun", flags, "dry-run"},
		{"m", flags, ""},    // one letter: any other is as near
		{"nope", flags, ""}, // two edits from "n", "job": too far for four letters
		{"", flags, ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.word, tt.options); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
