package importer

import (
	"errors"
	"net/url"
	"testing"
)

// TestRedactURL: what a URL shows in logs, errors, the ledger and check.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"https://example.com/dumps/socks.csv", "https://example.com/dumps/socks.csv"},
		{"https://bob:hunter2@example.com/socks.csv", "https://bob:xxxxx@example.com/socks.csv"},
		{"https://example.com/dl?file=socks.csv&token=abc123", "https://example.com/dl?file=socks.csv&token=xxxxx"},
		{"https://example.com/dl?api_key=k&sig=s&X-Amz-Signature=z&month=10", "https://example.com/dl?api_key=xxxxx&sig=xxxxx&X-Amz-Signature=xxxxx&month=10"},
		{"https://example.com/dl?access_token=abc#frag", "https://example.com/dl?access_token=xxxxx#frag"},
		{"sftp://supplier@files.example.com/out/socks-*.csv", "sftp://supplier@files.example.com/out/socks-*.csv"},
		{"s3://dumps/socks-*.csv?region=eu-west-1&endpoint=http://minio:9000", "s3://dumps/socks-*.csv?region=eu-west-1&endpoint=http://minio:9000"},
	} {
		if got := redactURL(c.in); got != c.want {
			t.Errorf("redactURL(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestScrubError: an error that quotes the URL it was asked for (net/http
// does) loses its secrets.
func TestScrubError(t *testing.T) {
	t.Parallel()
	err := &url.Error{Op: "Get", URL: "https://bob:hunter2@example.com/x.csv?token=abc", Err: errors.New("dial tcp: refused")}
	want := "Get https://bob:xxxxx@example.com/x.csv?token=xxxxx: dial tcp: refused"
	if got := scrubError(err); got != want {
		t.Errorf("scrubError = %q, want %q", got, want)
	}
	se := &SourceError{URL: "https://example.com/x.csv?token=xxxxx", Problem: "cannot reach the server", Err: errors.New(`Get "https://example.com/x.csv?token=abc": EOF`)}
	if got, want := se.Error(), `https://example.com/x.csv?token=xxxxx: cannot reach the server (Get "https://example.com/x.csv?token=xxxxx": EOF)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
