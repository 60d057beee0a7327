package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Options configure a Sender. The zero value of each field is its
// default.
type Options struct {
	// Log receives a line per notification given up on (a warning) and
	// per one sent (debug); nil discards them.
	Log *slog.Logger
	// Client sends the requests; nil is a client of its own.
	Client *http.Client
	// Timeout bounds each attempt (DefaultTimeout).
	Timeout time.Duration
	// Attempts is how many times a notification is tried (DefaultAttempts).
	Attempts int
	// Backoff is the wait before attempt n+1 after attempt n failed
	// (1 s, 2 s, 4 s…); tests make it 0.
	Backoff func(n int) time.Duration
	// Clock waits out the backoff; nil is the real clock.
	Clock clockwork.Clock
	// Host names this machine in the messages; "" is os.Hostname.
	Host string
}

// Defaults: a webhook that does not answer in 10 s is down, and three
// tries over about three seconds ride out a blip without holding up the
// next import for long.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 3
)

// Sender delivers Messages to Targets.
type Sender struct {
	o   Options
	log *slog.Logger
}

// New returns a Sender.
func New(o Options) *Sender {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration { return time.Second << min(n-1, 10) }
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname() // "" when it cannot be told: the message still goes
	}
	return &Sender{o: o, log: o.Log}
}

// Send delivers m to every target that asks for its event, all at once,
// and returns when each is delivered or given up on. It never fails:
// what could not be delivered is logged, without the URL's secrets.
func (s *Sender) Send(ctx context.Context, targets []Target, m Message) {
	if m.Host == "" {
		m.Host = s.o.Host
	}
	var wg sync.WaitGroup
	for _, t := range targets {
		ev := t.wants(m.Event)
		if ev == "" {
			continue
		}
		msg := m
		msg.Event = ev
		wg.Go(func() { s.deliver(ctx, t, msg) })
	}
	wg.Wait()
}

// deliver tries one target until it answers 2xx, answers a 4xx that a
// retry will not change, or the attempts are spent.
func (s *Sender) deliver(ctx context.Context, t Target, m Message) {
	log := s.log.With("target", Redact(t.URL), "event", m.Event, "job", m.Job)
	body, err := m.body(t.Format)
	if err != nil {
		log.Error("notification not sent: cannot encode it", "err", err)
		return
	}
	for n := 1; ; n++ {
		retry, err := s.post(ctx, t.URL, body)
		if err == nil {
			log.Debug("notification sent", "attempt", n)
			return
		}
		err = scrub(err, t.URL)
		if !retry || n >= s.o.Attempts {
			log.Warn("notification not delivered; the import it reports is not affected", "attempts", n, "err", err)
			return
		}
		log.Debug("notification failed; retrying", "attempt", n, "err", err)
		select {
		case <-s.o.Clock.After(s.o.Backoff(n)):
		case <-ctx.Done():
			log.Warn("notification not delivered: stopping", "attempts", n, "err", err)
			return
		}
	}
}

// post sends body once; retry says whether another attempt may do
// better (no answer, 5xx, 408, 429).
func (s *Sender) post(ctx context.Context, target string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice")
	res, err := s.o.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return true, fmt.Errorf("no answer within %s", s.o.Timeout)
		}
		return true, err
	}
	defer res.Body.Close()
	// A little of the answer says why; the rest is drained for reuse.
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode/100 == 2 {
		return false, nil
	}
	err = fmt.Errorf("HTTP %s: %s", res.Status, strings.TrimSpace(string(snippet)))
	return res.StatusCode >= 500 || res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests, err
}

// scrub takes the URL out of an error: net/http's errors quote it whole,
// secrets included.
func scrub(err error, target string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if strings.Contains(msg, target) {
		return errors.New(strings.ReplaceAll(msg, target, Redact(target)))
	}
	return err
}
