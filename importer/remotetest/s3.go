package remotetest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is an S3-compatible store (gofakes3, in memory) with one bucket.
// It checks the access key id of each request (gofakes3 checks none):
// a request signed with another is refused as S3 refuses it.
type S3 struct {
	URL     string // the endpoint, http://127.0.0.1:port (path style)
	Bucket  string
	KeyID   string // the access key id it takes
	Secret  string
	backend *s3mem.Backend
	gets    counter
	cut     cutoffs
	denied  cutoffs // keys whose GET is refused
	t       testing.TB
	// BeforeGet, when set, runs before an object's GET is answered.
	BeforeGet func(key string)
}

// NewS3 starts a store with an empty bucket until the test ends.
func NewS3(t testing.TB, bucket string) *S3 {
	s := &S3{Bucket: bucket, KeyID: "AKIDSLUICETEST", Secret: "sluice-test-secret", backend: s3mem.New(), t: t}
	if err := s.backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewUnstartedServer(s.wrap(faker.Server()))
	// A cut-off download leaves gofakes3 writing its error after the
	// body: net/http's complaint about it is noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Put stores an object.
func (s *S3) Put(key string, data []byte) {
	s.t.Helper()
	if _, err := s.backend.PutObject(s.Bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		s.t.Fatal(err)
	}
}

// Gets is how many object bodies the store sent.
func (s *S3) Gets() int { return s.gets.total() }

// Deny makes the store refuse to send key (AccessDenied), as a bucket
// policy would.
func (s *S3) Deny(key string) { s.denied.set(key, 0) }

// CutOff makes the store stop sending key after n bytes.
func (s *S3) CutOff(key string, n int64) { s.cut.set(key, n) }

func (s *S3) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+s.KeyID+"/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
			return
		}
		key, isObject := strings.CutPrefix(r.URL.Path, "/"+s.Bucket+"/")
		if r.Method != http.MethodGet || !isObject || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		s.gets.add(key)
		if _, no := s.denied.get(key); no {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		if s.BeforeGet != nil {
			s.BeforeGet(key)
		}
		obj, err := s.backend.HeadObject(s.Bucket, key)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		etag := fmt.Sprintf(`"%x"`, obj.Hash)
		// S3 answers If-Match; gofakes3 takes it on PUT only.
		if m := r.Header.Get("If-Match"); m != "" && m != etag {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
			return
		}
		if n, ok := s.cut.get(key); ok {
			next.ServeHTTP(&cutWriter{ResponseWriter: w, left: n}, r)
			panic(http.ErrAbortHandler)
		}
		next.ServeHTTP(w, r)
	})
}

// cutWriter lets left bytes of the body through, then drops the rest.
type cutWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	c.left -= int64(len(b))
	n, err := c.ResponseWriter.Write(b)
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	return n, err
}
