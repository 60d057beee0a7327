package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hook is a webhook on loopback that answers each request with the next
// of its codes (the last one repeats) and keeps the bodies it got.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	codes  []int
	delay  time.Duration // how long it takes to answer (a slow hook)
	bodies []string
}

func newHook(t *testing.T, delay time.Duration, codes ...int) *hook {
	h := &hook{codes: codes, delay: delay}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		code := h.codes[min(len(h.bodies), len(h.codes))-1]
		h.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			code = http.StatusUnsupportedMediaType
		}
		select {
		case <-time.After(h.delay):
		case <-r.Context().Done(): // the client gave up
			return
		}
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

var failedMsg = Message{Event: Failed, Job: "socks", File: "/srv/in/socks-2026-12.csv", Status: "failed", Rows: 7,
	Error: "line 8, column 2 (price): \"x\" is not a decimal", Duration: 1.5}

// TestSend: what each hook receives and how often it is tried, and that
// what is logged of a hook that never took the message names neither its
// path nor its query, where webhooks keep their secrets.
func TestSend(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		delay    time.Duration
		codes    []int
		format   string
		tries    int
		warned   bool
		wantBody string
	}{
		{"delivered", 0, []int{200}, "json", 1, false,
			`{"event":"failed","job":"socks","file":"/srv/in/socks-2026-12.csv","status":"failed","rows":7,"inserted":0,"updated":0,"unchanged":0,"rejected":0,"deleted":0,"error":"line 8, column 2 (price): \"x\" is not a decimal","duration":1.5,"host":"db1"}`},
		{"slack", 0, []int{200}, "slack", 1, false,
			`{"text":":x: sluice *socks* ` + "`socks-2026-12.csv`" + ` FAILED on db1: line 8, column 2 (price): \"x\" is not a decimal"}`},
		{"failing, then up", 0, []int{500, 503, 204}, "json", 3, false, ""},
		{"failing", 0, []int{502}, "json", 3, true, ""},
		{"refused for good", 0, []int{404}, "json", 1, true, ""},
		{"rate limited", 0, []int{429, 200}, "json", 2, false, ""},
		{"slow", 2 * time.Second, []int{200}, "json", 3, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHook(t, c.delay, c.codes...)
			var logs bytes.Buffer
			var waits []time.Duration
			var mu sync.Mutex
			s := New(Options{
				Log:     slog.New(slog.NewTextHandler(&logs, nil)),
				Timeout: 100 * time.Millisecond,
				Backoff: func(n int) time.Duration {
					mu.Lock()
					defer mu.Unlock()
					waits = append(waits, time.Duration(n)*time.Second)
					return 0
				},
				Host: "db1",
			})
			secret := h.URL + "/services/T000/B000/s3cr3t?token=hunter2"
			tg := Target{URL: secret, Format: c.format}
			if _, err := tg.Check(); err != nil {
				t.Fatal(err)
			}
			s.Send(context.Background(), []Target{tg}, failedMsg)
			got := h.got()
			if len(got) != c.tries || len(waits) != c.tries-1 {
				t.Fatalf("%d tries, %d waits; want %d tries\nlogs: %s", len(got), len(waits), c.tries, logs.String())
			}
			if c.wantBody != "" && got[0] != c.wantBody {
				t.Errorf("body\n%s\nwant\n%s", got[0], c.wantBody)
			}
			warned := strings.Contains(logs.String(), "notification not delivered")
			if warned != c.warned {
				t.Errorf("warned %t, want %t: %s", warned, c.warned, logs.String())
			}
			for _, leak := range []string{"s3cr3t", "hunter2", "T000"} {
				if strings.Contains(logs.String(), leak) {
					t.Errorf("the logs show %q: %s", leak, logs.String())
				}
			}
		})
	}
}

// TestSendEvents: each target gets the events it asks for; an import with
// rejects reaches an ok-only target (a dead-man's switch) as ok.
func TestSendEvents(t *testing.T) {
	t.Parallel()
	type sent struct{ on, events []string }
	targets := []sent{
		{[]string{"failed", "rejects", "overdue"}, []string{"failed", "rejects", "overdue"}},
		{[]string{"ok"}, []string{"ok", "ok"}},
		{nil, []string{"failed", "rejects", "overdue"}}, // the default
		{[]string{"rejects"}, []string{"rejects"}},
	}
	hooks := make([]*hook, len(targets))
	var list []Target
	for i, tg := range targets {
		hooks[i] = newHook(t, 0, 200)
		x := Target{URL: hooks[i].URL, On: tg.on}
		if _, err := x.Check(); err != nil {
			t.Fatal(err)
		}
		list = append(list, x)
	}
	s := New(Options{})
	for _, ev := range []string{Failed, Rejects, Overdue, OK} {
		s.Send(context.Background(), list, Message{Event: ev, Job: "socks"})
	}
	for i, tg := range targets {
		var events []string
		for _, b := range hooks[i].got() {
			var m Message
			if err := json.Unmarshal([]byte(b), &m); err != nil {
				t.Fatal(err)
			}
			events = append(events, m.Event)
		}
		if strings.Join(events, ",") != strings.Join(tg.events, ",") {
			t.Errorf("target on %v got %v, want %v", tg.on, events, tg.events)
		}
	}
}

// TestCheck: what a notify: entry may say.
func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target     Target
		field, err string
	}{
		{Target{URL: ""}, "url", "is empty"},
		{Target{URL: "hooks.slack.com/services/x"}, "url", "is not an http:// or https:// URL"},
		{Target{URL: "ftp://example.com/x"}, "url", "ftp://example.com/… is not an http:// or https:// URL"},
		{Target{URL: "https://hc-ping.com/uuid", On: []string{"ok", "late"}}, "on[1]", `unknown event "late" (events: failed, rejects, overdue, ok)`},
		{Target{URL: "https://hc-ping.com/uuid", Format: "teams"}, "format", `unknown format "teams" (json or slack)`},
		{Target{URL: "https://hc-ping.com/uuid"}, "", ""},
	}
	for _, c := range cases {
		field, err := c.target.Check()
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if field != c.field || !strings.Contains(msg, c.err) || (c.err == "") != (err == nil) {
			t.Errorf("%+v: %s %v; want %s %s", c.target, field, err, c.field, c.err)
		}
	}
}

// TestSlackText: the one line a Slack channel shows for each event.
func TestSlackText(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		m    Message
		want string
	}{
		{failedMsg, ":x: sluice *socks* `socks-2026-12.csv` FAILED on db1: line 8, column 2 (price): \"x\" is not a decimal"},
		{Message{Event: Rejects, Job: "socks", File: "/srv/in/socks-2026-12.csv", Status: "ok", Rows: 10, Inserted: 4, Updated: 3, Unchanged: 1, Rejected: 2, RejectFile: "/srv/rejects/socks.csv", Duration: 0.25, Host: "db1"},
			":warning: sluice *socks* `socks-2026-12.csv` on db1: 10 rows, 4 inserted, 3 updated, 1 unchanged, 2 rejected in 0.2s\nrejects in `/srv/rejects/socks.csv`"},
		{Message{Event: OK, Job: "socks", File: "/srv/in/socks-2026-12.csv", Status: "ok", Rows: 10, Inserted: 10, Duration: 2, Host: "db1"},
			":white_check_mark: sluice *socks* `socks-2026-12.csv` on db1: 10 rows, 10 inserted, 0 updated, 0 unchanged, 0 rejected in 2.0s"},
		{Message{Event: Overdue, Job: "socks", Status: "overdue", Since: since, ExpectEvery: "35d", Host: "db1"},
			":hourglass: sluice *socks* is overdue on db1: no new file since 2026-11-01 03:00 UTC (source.expect_every: 35d)"},
	}
	for _, c := range cases {
		m := c.m
		if m.Host == "" {
			m.Host = "db1"
		}
		if got := m.slackText(); got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.m.Event, got, c.want)
		}
	}
}
