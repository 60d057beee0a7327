package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLongDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"35d", 35 * 24 * time.Hour, false},
		{"5w", 35 * 24 * time.Hour, false},
		{"1w3d12h", (10*24 + 12) * time.Hour, false},
		{"1.5d", 36 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"35", 0, true},
		{"a month", 0, true},
	}
	for _, c := range cases {
		got, err := ParseLongDuration(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseLongDuration(%q) = %s, %v; want %s (error %t)", c.in, got, err, c.want, c.err)
		}
	}
	for d, want := range map[time.Duration]string{35 * 24 * time.Hour: "35d", 36 * time.Hour: "36h0m0s"} {
		if got := FormatLongDuration(d); got != want {
			t.Errorf("FormatLongDuration(%s) = %s, want %s", d, got, want)
		}
	}
}

// TestWatchConfig: notify: at the top and in a job, source.expect_every,
// and the mistakes in them named by key.
func TestWatchConfig(t *testing.T) {
	t.Parallel()
	const base = `database: {url: "sqlite:///x.db"}
%TOP%
jobs:
  - name: socks
    source: {path: "in/*.csv", %EXPECT%}
    table: socks
    key: [sku]
    columns: [{name: sku}]
%JOB%
`
	cases := []struct {
		name, top, expect, job string
		err                    string
		targets                []string // url format on… of each target, in order
		every                  time.Duration
	}{
		{"none", "", "", "", "", nil, 0},
		{"both", "notify: [{url: \"https://hooks.slack.com/services/T/B/x\", format: slack}]", "expect_every: 35d",
			"    notify: [{url: \"https://hc-ping.com/uuid\", on: [ok]}]", "",
			[]string{"https://hooks.slack.com/services/T/B/x slack failed,rejects,overdue", "https://hc-ping.com/uuid json ok"}, 35 * 24 * time.Hour},
		{"weeks", "", "expect_every: 1w", "", "", nil, 7 * 24 * time.Hour},
		{"bad expect_every", "", "expect_every: monthly", "", `jobs[0].source.expect_every: "monthly" is not a positive duration (35d, 5w, 36h)`, nil, 0},
		{"bad top event", "notify: [{url: \"https://x.example/h\", on: [failed, done]}]", "", "",
			`notify[0].on[1]: unknown event "done" (events: failed, rejects, overdue, ok)`, nil, 0},
		{"bad job url", "", "", "    notify: [{url: \"\"}]", `jobs[0].notify[0].url: is empty`, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.yaml")
			text := strings.NewReplacer("%TOP%", c.top, "%EXPECT%", c.expect, "%JOB%", c.job).Replace(base)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path, func(string) (string, bool) { return "", false })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			j := cfg.Jobs[0]
			var got []string
			for _, tg := range j.Notify() {
				got = append(got, tg.URL+" "+tg.Format+" "+strings.Join(tg.On, ","))
			}
			if strings.Join(got, "\n") != strings.Join(c.targets, "\n") || j.ExpectEvery() != c.every {
				t.Errorf("targets %q, expect_every %s; want %q, %s", got, j.ExpectEvery(), c.targets, c.every)
			}
		})
	}
}
