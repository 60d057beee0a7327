package notify

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Message is one notification, the JSON body of a json target. Counts
// are those of the file's import; Deleted is the rows a mode: sync
// deleted or marked (0 for the other modes).
type Message struct {
	Event      string  `json:"event"`
	Job        string  `json:"job"`
	File       string  `json:"file,omitempty"`
	Status     string  `json:"status"` // ok, failed, interrupted, overdue
	Rows       int64   `json:"rows"`
	Inserted   int64   `json:"inserted"`
	Updated    int64   `json:"updated"`
	Unchanged  int64   `json:"unchanged"`
	Rejected   int64   `json:"rejected"`
	Deleted    int64   `json:"deleted"`
	RejectFile string  `json:"reject_file,omitempty"`
	Error      string  `json:"error,omitempty"`
	Duration   float64 `json:"duration"` // seconds
	Host       string  `json:"host"`
	// Overdue only: the last new file's import (or when the daemon began
	// watching the job) and source.expect_every.
	Since       time.Time `json:"since,omitzero"`
	ExpectEvery string    `json:"expect_every,omitempty"`
	// Drift is how the file's header differed from the job's columns
	// (columns_policy); nil when it did not.
	Drift *Drift `json:"drift,omitempty"`
}

// Drift is a file's schema drift: CSV columns ignored, declared columns
// missing (read as NULL), new columns added to the table, each of those
// with its line for config.yaml.
type Drift struct {
	Extra   []string      `json:"extra,omitempty"`
	Missing []string      `json:"missing,omitempty"`
	Added   []DriftColumn `json:"added,omitempty"`
}

// DriftColumn is a column added to the table.
type DriftColumn struct {
	Column string `json:"column"`
	Header string `json:"csv"`
	Type   string `json:"type"`
	Config string `json:"config"` // the line to add under columns:
}

// body is the request body for format.
func (m Message) body(format string) ([]byte, error) {
	if format == FormatSlack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{m.slackText()})
	}
	return json.Marshal(m)
}

// slackText is the message in one or two lines of Slack's mrkdwn.
func (m Message) slackText() string {
	file := ""
	if m.File != "" {
		file = " `" + filepath.Base(m.File) + "`"
	}
	var b strings.Builder
	switch m.Event {
	case Failed:
		fmt.Fprintf(&b, ":x: sluice *%s*%s %s on %s: %s", m.Job, file, strings.ToUpper(m.Status), m.Host, m.Error)
	case Overdue:
		fmt.Fprintf(&b, ":hourglass: sluice *%s* is overdue on %s: no new file since %s (source.expect_every: %s)",
			m.Job, m.Host, m.Since.UTC().Format("2006-01-02 15:04 UTC"), m.ExpectEvery)
	default:
		icon := ":white_check_mark:"
		if m.Rejected > 0 {
			icon = ":warning:"
		}
		fmt.Fprintf(&b, "%s sluice *%s*%s on %s: %d rows, %d inserted, %d updated, %d unchanged, %d rejected in %.1fs",
			icon, m.Job, file, m.Host, m.Rows, m.Inserted, m.Updated, m.Unchanged, m.Rejected, m.Duration)
		if m.Deleted > 0 {
			fmt.Fprintf(&b, "; %d gone from the file (deleted or marked)", m.Deleted)
		}
		if m.RejectFile != "" {
			fmt.Fprintf(&b, "\nrejects in `%s`", m.RejectFile)
		}
		m.Drift.slackText(&b)
	}
	return b.String()
}

// slackText adds the drift the table saw: columns read as NULL and
// columns added, with their config lines.
func (d *Drift) slackText(b *strings.Builder) {
	if d == nil {
		return
	}
	if len(d.Missing) > 0 {
		fmt.Fprintf(b, "\ndrift: missing, read as NULL: %s", strings.Join(d.Missing, ", "))
	}
	for _, a := range d.Added {
		fmt.Fprintf(b, "\ndrift: new column %q added as %s %s; add to config.yaml: `%s`", a.Header, a.Column, a.Type, a.Config)
	}
}
