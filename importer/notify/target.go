// Package notify tells people how sluice's runs went: a webhook (JSON) or
// a Slack message per imported or failed file and per overdue job, and a
// dead-man's-switch ping (healthchecks.io and the like) on success. A
// notification that cannot be delivered is retried a few times, then
// logged; it never fails the import it reports.
package notify

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// The events a target can ask for.
const (
	Failed  = "failed"  // a file's import failed or was interrupted, or a run failed before its files
	Rejects = "rejects" // a file was imported with rejected rows
	Overdue = "overdue" // no new file for longer than source.expect_every
	OK      = "ok"      // a file was imported (with or without rejects)
)

// Events are the events in the order the docs list them.
var Events = []string{Failed, Rejects, Overdue, OK}

// The body formats.
const (
	FormatJSON  = "json"  // the Message as JSON
	FormatSlack = "slack" // {"text": …}, for Slack's (and Mattermost's) incoming webhooks
)

// DefaultOn is the events a target without on: gets: what needs a person.
var DefaultOn = []string{Failed, Rejects, Overdue}

// Target is one entry of a notify: list in config.yaml.
type Target struct {
	URL    string   `yaml:"url"`
	On     []string `yaml:"on"`
	Format string   `yaml:"format"`
}

// Check validates the target and fills its defaults. Its error is the
// reason alone; the config names the key.
func (t *Target) Check() (field string, err error) {
	u, err := url.Parse(t.URL)
	switch {
	case t.URL == "":
		return "url", fmt.Errorf("is empty (an http:// or https:// URL; ${VAR} takes it from the environment)")
	case err != nil:
		return "url", fmt.Errorf("%s is not a URL", Redact(t.URL))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return "url", fmt.Errorf("%s is not an http:// or https:// URL", Redact(t.URL))
	}
	if len(t.On) == 0 {
		t.On = slices.Clone(DefaultOn)
	}
	for i, e := range t.On {
		if !slices.Contains(Events, e) {
			return fmt.Sprintf("on[%d]", i), fmt.Errorf("unknown event %q (events: %s)", e, strings.Join(Events, ", "))
		}
	}
	switch t.Format {
	case "":
		t.Format = FormatJSON
	case FormatJSON, FormatSlack:
	default:
		return "format", fmt.Errorf("unknown format %q (json or slack)", t.Format)
	}
	return "", nil
}

// wants returns the event t is sent for a message of event ev, or "" when
// none: a file imported with rejects is a rejects event to a target that
// asks for them and an ok one to a target asking only for ok (its
// dead-man's switch must hear of every import).
func (t Target) wants(ev string) string {
	switch {
	case slices.Contains(t.On, ev):
		return ev
	case ev == Rejects && slices.Contains(t.On, OK):
		return OK
	}
	return ""
}

// Redact is a URL fit for logs: its scheme and host only. A webhook's
// secret is in its path (Slack's /services/T…/B…/…, a healthchecks
// UUID), its query or its user info.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL that does not parse)"
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}
