package remotetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// HTTP serves the files of a folder as a static file server does: HEAD
// and GET with Content-Length, a strong ETag (of the content),
// Last-Modified, and If-Match / If-Unmodified-Since honoured.
type HTTP struct {
	URL string // http://127.0.0.1:port
	dir string
	// Token, when set, is the bearer token every request must carry.
	Token string
	// BeforeGet, when set, runs before a GET is answered: a test
	// changes the file there, as a supplier re-uploading it would.
	BeforeGet func(name string)
	gets      counter
	cut       cutoffs
	denied    cutoffs // names answered 403
}

// NewHTTP serves dir until the test ends.
func NewHTTP(t testing.TB, dir string) *HTTP {
	h := &HTTP{dir: dir}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// Gets is how many GET requests (file bodies) the server answered.
func (h *HTTP) Gets() int { return h.gets.total() }

// Deny makes the server refuse name (403 Forbidden).
func (h *HTTP) Deny(name string) { h.denied.set(name, 0) }

// CutOff makes the server stop sending name after n bytes, having
// promised all of it.
func (h *HTTP) CutOff(name string, n int64) { h.cut.set(name, n) }

func (h *HTTP) serve(w http.ResponseWriter, r *http.Request) {
	if h.Token != "" && r.Header.Get("Authorization") != "Bearer "+h.Token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if _, no := h.denied.get(name); no {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodGet {
		h.gets.add(name)
		if h.BeforeGet != nil {
			h.BeforeGet(name)
		}
	}
	path := filepath.Join(h.dir, filepath.FromSlash(name))
	b, err := os.ReadFile(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	st, _ := os.Stat(path)
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", fmt.Sprintf(`"%s"`, hex.EncodeToString(sum[:8])))
	if n, ok := h.cut.get(name); ok && r.Method == http.MethodGet {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:min(n, int64(len(b)))])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}
	f, err := os.Open(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, name, st.ModTime(), f)
}
