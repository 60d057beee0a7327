package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestImportNotifies runs sluice import on the sample with two notify:
// targets from the environment, a webhook that takes the messages and one
// that refuses them: the first gets one message per file imported (none
// for the second run's skips), the refusal is logged without the URL's
// secret and the import still succeeds.
func TestImportNotifies(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	good := newWebhook(t, "/hook/s3cr3t")
	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	work := t.TempDir()
	copySample(t, work)
	config := filepath.Join(work, "config.yaml")
	replaceInFile(t, config, "\njobs:\n", "\nnotify:\n  - {url: \"${HOOK_URL}\", on: [failed, rejects, ok]}\n  - {url: \"${BAD_HOOK_URL}\"}\njobs:\n")
	s := newSluiceCmd(bin, work, "sqlite:///"+filepath.Join(work, "n.db"))
	s.env = append(s.env, "HOOK_URL="+good.srv.URL+"/hook/s3cr3t", "BAD_HOOK_URL="+bad.URL+"/hook/t0ken")
	code, stdout, stderr := s.run(t, "import", "--config", config)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var files []string
	for _, m := range good.messages() {
		if m["event"] != "ok" && m["event"] != "rejects" || m["status"] != "ok" {
			t.Errorf("message %v", m)
		}
		files = append(files, filepath.Base(m["file"].(string)))
	}
	slices.Sort(files)
	want := []string{"socks-2026-09.csv", "socks-2026-10.csv", "socks-2026-11.csv", "stock-2026-09.csv", "stock-2026-10.csv", "stock-2026-11.csv"}
	if !slices.Equal(files, want) {
		t.Errorf("messages for %v, want %v", files, want)
	}
	if !strings.Contains(stderr, "notification not delivered") || strings.Contains(stderr, "t0ken") || strings.Contains(stderr, "s3cr3t") {
		t.Errorf("stderr should say the refused hook failed, without the secrets:\n%s", stderr)
	}
	if code, _, stderr := s.run(t, "import", "--config", config); code != 0 || len(good.messages()) != 6 {
		t.Errorf("second run: exit %d, %d messages in all (want 0 and 6: skips are not news)\n%s", code, len(good.messages()), stderr)
	}
}

// webhook is a notify: target on loopback that keeps the JSON messages
// POSTed to its path.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []map[string]any
}

func newWebhook(t *testing.T, path string) *webhook {
	h := &webhook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.URL.Path != path {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// messages are those received so far.
func (h *webhook) messages() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}
