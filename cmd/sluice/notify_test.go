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
	var mu sync.Mutex
	var got []map[string]any
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.URL.Path != "/hook/s3cr3t" {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer good.Close()
	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	work := t.TempDir()
	copySample(t, work)
	config := filepath.Join(work, "config.yaml")
	replaceInFile(t, config, "\njobs:\n", "\nnotify:\n  - {url: \"${HOOK_URL}\", on: [failed, rejects, ok]}\n  - {url: \"${BAD_HOOK_URL}\"}\njobs:\n")
	s := newSluiceCmd(bin, work, "sqlite:///"+filepath.Join(work, "n.db"))
	s.env = append(s.env, "HOOK_URL="+good.URL+"/hook/s3cr3t", "BAD_HOOK_URL="+bad.URL+"/hook/t0ken")
	code, stdout, stderr := s.run(t, "import", "--config", config)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var files []string
	for _, m := range got {
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
	if code, _, stderr := s.run(t, "import", "--config", config); code != 0 || len(got) != 6 {
		t.Errorf("second run: exit %d, %d messages in all (want 0 and 6: skips are not news)\n%s", code, len(got), stderr)
	}
}
