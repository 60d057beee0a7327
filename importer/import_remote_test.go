package importer

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sluice-dev/sluice/importer/remotetest"
	"github.com/sluice-dev/sluice/models"
)

// The remote tests serve the sample dumps (sample-data/socks-*.csv) from a
// real server on loopback for each kind of remote source, and import
// them as sluice import would: the counts must be those of the same files
// read locally, a second run must skip them without fetching a body, and
// each failure must say what to fix.

// sampleSocksJob is config.yaml's socks job with source.path replaced by
// the given source keys (YAML, indented for the source: block).
func sampleSocksJob(t *testing.T, source string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start, end := strings.Index(text, "  - name: socks\n"), strings.Index(text, "  - name: stock\n")
	const local = `      path: "sample-data/socks-*.csv"`
	job := text[max(start, 0):max(end, 0)]
	if start < 0 || end < start || !strings.Contains(job, local) {
		t.Fatalf("config.yaml has no socks job reading %s before the stock job", local)
	}
	return strings.Replace(job, local, source, 1)
}

var sampleSocks = []string{"socks-2026-09.csv", "socks-2026-10.csv", "socks-2026-11.csv"}

// remoteKind is one kind of remote source under test, serving a folder.
type remoteKind struct {
	name string
	// serve starts the server on dir's files and returns the job's
	// source block, the server's count of bodies sent, and hooks.
	serve func(t *testing.T, dir string) *served
}

type served struct {
	source    string // the YAML of source:'s keys, indented
	fileURL   func(name string) string
	bodies    func() int
	cutOff    func(name string, n int64)
	deny      func(name string)
	beforeGet func(f func(name string))
	// badLogin is a source block whose credentials the server refuses,
	// and the words its error must have.
	badLogin, badLoginSays string
}

func remoteKindsUnderTest() []remoteKind {
	return []remoteKind{
		{"http", func(t *testing.T, dir string) *served {
			h := remotetest.NewHTTP(t, dir)
			h.Token = "s3cr3t-token"
			paths := make([]string, len(sampleSocks))
			for i, n := range sampleSocks {
				paths[i] = fmt.Sprintf("%q", h.URL+"/"+n)
			}
			list := strings.Join(paths, ", ")
			return &served{
				source:       fmt.Sprintf("      paths: [%s]\n      http: {headers: {Authorization: \"Bearer s3cr3t-token\"}}", list),
				fileURL:      func(n string) string { return h.URL + "/" + n },
				bodies:       h.Gets,
				cutOff:       func(n string, at int64) { h.CutOff(n, at) },
				deny:         h.Deny,
				beforeGet:    func(f func(string)) { h.BeforeGet = f },
				badLogin:     fmt.Sprintf("      paths: [%s]\n      http: {headers: {Authorization: \"Bearer wrong-token\"}}", list),
				badLoginSays: "the server answered 401 Unauthorized; the server refused the credentials",
			}
		}},
		{"s3", func(t *testing.T, dir string) *served {
			s := remotetest.NewS3(t, "dumps")
			// Put in an order other than the names', with objects the
			// glob must not take.
			for _, n := range []string{"socks-2026-11.csv", "socks-2026-09.csv", "socks-2026-10.csv"} {
				b, _ := os.ReadFile(filepath.Join(dir, n))
				s.Put("monthly/"+n, b)
			}
			s.Put("monthly/socks-2026-12.txt", []byte("not a dump"))
			s.Put("monthly/old/socks-2025-01.csv", []byte("sku\n"))
			s.Put("other/socks-2026-09.csv", []byte("sku\n"))
			t.Setenv("AWS_ACCESS_KEY_ID", s.KeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", s.Secret)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
			url := fmt.Sprintf("s3://dumps/monthly/socks-*.csv?endpoint=%s&use_path_style=true&region=eu-west-1", s.URL)
			return &served{
				source:  fmt.Sprintf("      path: %q", url),
				fileURL: func(n string) string { return "s3://dumps/monthly/" + n },
				bodies:  s.Gets,
				cutOff:  func(n string, at int64) { s.CutOff("monthly/"+n, at) },
				deny:    func(n string) { s.Deny("monthly/" + n) },
				beforeGet: func(f func(string)) {
					s.BeforeGet = func(k string) {
						n := strings.TrimPrefix(k, "monthly/")
						f(n) // then the object is what the folder now holds
						if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
							s.Put(k, b)
						}
					}
				},
				// The same source; the test sets another key id.
				badLogin:     fmt.Sprintf("      path: %q", url),
				badLoginSays: "the store refused the credentials (InvalidAccessKeyId); check AWS_ACCESS_KEY_ID",
			}
		}},
		{"sftp", func(t *testing.T, dir string) *served {
			s := remotetest.NewSFTP(t)
			os.WriteFile(filepath.Join(dir, "socks-2026-12.txt"), []byte("not a dump"), 0o644)
			url := fmt.Sprintf("sftp://%s@%s%s/socks-*.csv", s.User, s.Addr, dir)
			return &served{
				source:       fmt.Sprintf("      path: %q\n      sftp: {key_file: %q, known_hosts: %q}", url, s.KeyFile, s.KnownHosts),
				fileURL:      func(n string) string { return fmt.Sprintf("sftp://%s@%s%s/%s", s.User, s.Addr, dir, n) },
				bodies:       s.Opens,
				cutOff:       func(n string, at int64) { s.CutOff(filepath.Join(dir, n), at) },
				deny:         func(n string) { s.Deny(filepath.Join(dir, n)) },
				beforeGet:    func(f func(string)) { s.BeforeOpen = func(p string) { f(filepath.Base(p)) } },
				badLogin:     fmt.Sprintf("      path: %q\n      sftp: {key_file: %q, known_hosts: %q}", url, s.WrongKeyFile, s.KnownHosts),
				badLoginSays: "the server refused the login of supplier; check the user in the URL and that the server has the public key",
			}
		}},
	}
}

// sampleDir copies the sample socks dumps into a new folder.
func sampleDir(t *testing.T) string {
	dir := t.TempDir()
	for _, n := range sampleSocks {
		b, err := os.ReadFile(filepath.Join("..", "sample-data", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// localSampleCounts imports the sample dumps from local files.
func localSampleCounts(t *testing.T) ([]outcome, [][]string) {
	dir := sampleDir(t)
	e := newImportEnv(t, sampleSocksJob(t, fmt.Sprintf("      path: %q", filepath.Join(dir, "socks-*.csv"))))
	results := e.runJob("socks", Options{})
	out := make([]outcome, len(results))
	for i, r := range results {
		out[i] = outcomeOf(r)
	}
	return out, e.table("socks", "sku", "sku", "name", "price", "quantity", "updated_on")
}

func (e *importEnv) runJob(job string, opt Options) []Result {
	e.t.Helper()
	results, err := e.im.RunJob(e.ctx, e.job(job), opt)
	if err != nil {
		e.t.Fatalf("RunJob(%s): %v", job, err)
	}
	return results
}

// TestRemoteSampleDumps: the sample dumps served over HTTP, S3 and SFTP
// import with the counts of the same files read locally, in name order;
// a second run skips them all without fetching a body; the ledger names
// each file by its URL and its version.
func TestRemoteSampleDumps(t *testing.T) {
	want, wantRows := localSampleCounts(t)
	if len(want) != 3 || want[0].Inserted == 0 {
		t.Fatalf("local import = %+v; want three files imported", want)
	}
	for _, k := range remoteKindsUnderTest() {
		t.Run(k.name, func(t *testing.T) {
			srv := k.serve(t, sampleDir(t))
			e := newImportEnv(t, sampleSocksJob(t, srv.source))
			results := e.runJob("socks", Options{})
			if len(results) != 3 {
				t.Fatalf("%d results, want 3: %+v", len(results), results)
			}
			for i, r := range results {
				if r.Path != srv.fileURL(sampleSocks[i]) {
					t.Errorf("file %d = %s, want %s (name order)", i, r.Path, srv.fileURL(sampleSocks[i]))
				}
				checkResult(t, r.Path, r, want[i])
			}
			checkRows(t, "table", e.table("socks", "sku", "sku", "name", "price", "quantity", "updated_on"), wantRows)
			if got := srv.bodies(); got != 3 {
				t.Errorf("the first run fetched %d bodies, want 3 (once each)", got)
			}
			again := e.runJob("socks", Options{})
			for i, r := range again {
				if r.Status != models.StatusSkipped || r.Previous == nil || r.Previous.ID != int64(i+1) {
					t.Errorf("second run of %s = %s (previous %+v), want skipped as run %d", r.Path, r.Status, r.Previous, i+1)
				}
			}
			if got := srv.bodies(); got != 3 {
				t.Errorf("after the second run %d bodies were fetched, want still 3: a known file is skipped unread", got)
			}
			runs := e.runs()
			if len(runs) != 6 {
				t.Fatalf("ledger has %d runs, want 6", len(runs))
			}
			for _, r := range runs {
				wantSource := e.job("socks").Files().String()
				if k.name == "http" {
					wantSource = r.Path // the one of source.paths it came from
				}
				if r.FileVersion == "" || r.Source != wantSource || strings.Contains(r.Source+r.Path, "s3cr3t") {
					t.Errorf("ledger run %s: source %q, version %q; want the job's redacted source and the file's version", r.Path, r.Source, r.FileVersion)
				}
			}
			if runs[3].SHA256 != runs[0].SHA256 || runs[3].Size != runs[0].Size || runs[3].Status != models.StatusSkipped {
				t.Errorf("the skip of %s = %+v; want the checksum and size of run %d", runs[3].Path, runs[3], runs[0].ID)
			}
			// --force fetches and imports them again.
			forced := e.runJob("socks", Options{Force: true})
			for _, r := range forced {
				if r.Status != models.StatusOK || r.Rows != int64(want[0].Rows) && r.Path == srv.fileURL(sampleSocks[0]) {
					t.Errorf("forced run of %s: %+v; want imported", r.Path, outcomeOf(r))
				}
			}
			if srv.bodies() != 6 {
				t.Errorf("forced run: %d bodies fetched in all, want 6", srv.bodies())
			}
		})
	}
}

// TestRemoteFailures: a download cut off halfway, a file replaced during
// the import and refused credentials are failed runs that say why, in the
// ledger too, without the secrets; the first two are retried (Retryable)
// and a later run imports what is left.
func TestRemoteFailures(t *testing.T) {
	for _, k := range remoteKindsUnderTest() {
		t.Run(k.name, func(t *testing.T) {
			dir := sampleDir(t)
			srv := k.serve(t, dir)
			e := newImportEnv(t, sampleSocksJob(t, srv.source))

			srv.cutOff(sampleSocks[1], 1000)
			changed := false
			srv.beforeGet(func(name string) {
				if name == sampleSocks[2] && !changed {
					changed = true
					f, _ := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
					fmt.Fprintln(f, "SK-99999,Late Addition,Red,M,crew,9.99,1,1,Hosiery & Co,2026-11-30")
					f.Close()
				}
			})
			results := e.runJob("socks", Options{})
			if len(results) != 3 {
				t.Fatalf("%d results, want 3", len(results))
			}
			checkResult(t, "first file", results[0], outcome{Status: models.StatusOK, Rows: 300, Inserted: 300})
			for i, says := range map[int]string{1: "the download ", 2: "changed on the server"} {
				r := results[i]
				if r.Status != models.StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), says) || !Retryable(r.Err) {
					t.Errorf("%s = %s, %v; want failed saying %q, retryable", r.Path, r.Status, r.Err, says)
				}
			}
			if k.name == "sftp" {
				// The SFTP source compares size and mtime as it opens:
				// the file changed before any byte was sent.
				if !strings.Contains(results[2].Err.Error(), srv.fileURL(sampleSocks[2])) {
					t.Errorf("error %v does not name the file", results[2].Err)
				}
			}
			if got := e.query("SELECT count(*) FROM socks"); got[0][0] != "300" {
				t.Errorf("table holds %s rows, want the first file's 300 only", got[0][0])
			}
			srv.cutOff(sampleSocks[1], 1<<40)
			before := srv.bodies()
			again := e.runJob("socks", Options{})
			if again[0].Status != models.StatusSkipped || again[1].Status != models.StatusOK || again[2].Status != models.StatusOK {
				t.Errorf("the next run = %s, %s, %s (%v, %v); want skipped, ok, ok", again[0].Status, again[1].Status, again[2].Status, again[1].Err, again[2].Err)
			}
			if got := srv.bodies() - before; got != 2 {
				t.Errorf("the next run fetched %d bodies, want 2 (the first file is skipped unread)", got)
			}

			bad := newImportEnv(t, sampleSocksJob(t, srv.badLogin))
			if k.name == "s3" {
				t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWRONG")
			}
			// A folder or bucket fails once, as it is listed; each URL of
			// source.paths fails as its own file.
			res := bad.runJob("socks", Options{})
			want := map[string]int{"http": 3}[k.name]
			runs := bad.runs()
			if want == 0 {
				want = 1
			}
			if len(res) != want || len(runs) != want {
				t.Fatalf("bad credentials = %+v; ledger %+v; want %d failed run(s)", res, runs, want)
			}
			for i, r := range res {
				if r.Status != models.StatusFailed || !strings.Contains(fmt.Sprint(r.Err), srv.badLoginSays) || Retryable(r.Err) {
					t.Errorf("bad credentials: %s = %s, %v; want failed saying %q, not retried", r.Path, r.Status, r.Err, srv.badLoginSays)
				}
				if runs[i].Status != models.StatusFailed || runs[i].Error != r.Err.Error() || strings.Contains(runs[i].Error, "wrong-token") {
					t.Errorf("ledger run %+v; want the failed run with its error, no token", runs[i])
				}
			}
		})
	}
}

// TestSFTPHostKey: the server's host key is always checked: one not in
// known_hosts fails with its fingerprint and the line to add; a different
// key for the host fails louder; a missing known_hosts fails.
func TestSFTPHostKey(t *testing.T) {
	dir := sampleDir(t)
	s := remotetest.NewSFTP(t)
	other := remotetest.NewSFTP(t) // another server's key, filed under s's address
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	b, _ := os.ReadFile(other.KnownHosts)
	os.WriteFile(wrong, []byte(strings.Replace(string(b), other.Addr[strings.LastIndex(other.Addr, ":"):], s.Addr[strings.LastIndex(s.Addr, ":"):], 1)), 0o600)
	url := fmt.Sprintf("sftp://%s@%s%s/socks-*.csv", s.User, s.Addr, dir)
	fp := ssh.FingerprintSHA256(s.HostKey)
	for _, c := range []struct {
		name, knownHosts string
		says             []string
	}{
		{"unknown", s.EmptyKnownHosts, []string{"is not in " + s.EmptyKnownHosts, "fingerprint is " + fp, "add this line", s.HostKey.Type()}},
		{"changed", wrong, []string{"is NOT the one " + wrong + " holds (line 1)", fp}},
		{"missing", filepath.Join(t.TempDir(), "nope"), []string{"cannot read known_hosts", "always checked"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newImportEnv(t, sampleSocksJob(t, fmt.Sprintf("      path: %q\n      sftp: {key_file: %q, known_hosts: %q}", url, s.KeyFile, c.knownHosts)))
			res := e.runJob("socks", Options{})
			if len(res) != 1 || res[0].Err == nil || Retryable(res[0].Err) {
				t.Fatalf("results = %+v; want one failed run, not retried", res)
			}
			for _, w := range c.says {
				if !strings.Contains(res[0].Err.Error(), w) {
					t.Errorf("error %q lacks %q", res[0].Err, w)
				}
			}
			if s.Opens() != 0 {
				t.Errorf("%d files opened on a server not trusted", s.Opens())
			}
		})
	}
}

// TestRemoteUnreachable: a server that is not there and a missing file
// fail the run saying so; only the first is retried.
func TestRemoteUnreachable(t *testing.T) {
	h := remotetest.NewHTTP(t, sampleDir(t))
	s := remotetest.NewSFTP(t)
	for _, c := range []struct {
		name, source, says string
		retry              bool
	}{
		{"http refused", `      path: "http://127.0.0.1:1/socks.csv"`, "cannot reach the server", true},
		{"http 404", fmt.Sprintf("      path: %q", h.URL+"/socks-2027-01.csv"), "404 Not Found; no file at that URL (yet)", false},
		{"sftp refused", fmt.Sprintf("      path: \"sftp://u@127.0.0.1:1/srv/socks-*.csv\"\n      sftp: {key_file: %q, known_hosts: %q}", s.KeyFile, s.KnownHosts),
			"cannot reach the server", true},
		{"sftp no key", fmt.Sprintf("      path: \"sftp://u@127.0.0.1:1/srv/socks-*.csv\"\n      sftp: {key_file: %q, known_hosts: %q}", filepath.Join(t.TempDir(), "nope"), s.KnownHosts),
			"cannot read source.sftp.key_file", false},
		{"sftp no folder", fmt.Sprintf("      path: \"sftp://%s@%s/srv/nowhere/socks-*.csv\"\n      sftp: {key_file: %q, known_hosts: %q}", s.User, s.Addr, s.KeyFile, s.KnownHosts),
			"/srv/nowhere: no such file or folder on the server", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newImportEnv(t, sampleSocksJob(t, c.source))
			res := e.runJob("socks", Options{})
			if len(res) != 1 || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), c.says) || Retryable(res[0].Err) != c.retry {
				t.Fatalf("results = %+v; want one failed run saying %q, retryable %v", res, c.says, c.retry)
			}
		})
	}
}

// TestHTTPTokenInURL: a token in the URL's query reaches the server but
// neither the ledger, nor the log, nor an error.
func TestHTTPTokenInURL(t *testing.T) {
	h := remotetest.NewHTTP(t, sampleDir(t))
	const token = "tok-in-url-314159"
	var logs strings.Builder
	for _, c := range []struct{ file, status string }{{"socks-2026-09.csv", models.StatusOK}, {"socks-2099-01.csv", models.StatusFailed}} {
		url := h.URL + "/" + c.file + "?month=9&token=" + token
		e := newImportEnv(t, sampleSocksJob(t, fmt.Sprintf("      path: %q", url)))
		im, err := New(e.ctx, e.db, Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		results, err := im.RunJob(e.ctx, e.job("socks"), Options{})
		if err != nil || len(results) != 1 || results[0].Status != c.status {
			t.Fatalf("RunJob = %+v, %v; want one %s run", results, err, c.status)
		}
		runs := e.runs()
		want := h.URL + "/" + c.file + "?month=9&token=xxxxx"
		if len(runs) != 1 || runs[0].Path != want || runs[0].Source != want || strings.Contains(runs[0].Error, token) {
			t.Errorf("ledger = %+v; want one run of %s", runs, want)
		}
		if results[0].Err != nil && strings.Contains(results[0].Err.Error(), token) {
			t.Errorf("error shows the token: %v", results[0].Err)
		}
	}
	if strings.Contains(logs.String(), token) || !strings.Contains(logs.String(), "token=xxxxx") {
		t.Errorf("the log shows the token, or not the file:\n%s", logs.String())
	}
}

// TestRemoteProgress: the download is reported to Config.Progress as its
// own pass (a terminal's line says "download"), whole, before the
// checksum and the load read the downloaded copy.
func TestRemoteProgress(t *testing.T) {
	dir := sampleDir(t)
	h := remotetest.NewHTTP(t, dir)
	e := newImportEnv(t, sampleSocksJob(t, fmt.Sprintf("      path: %q", h.URL+"/socks-2026-09.csv")))
	st, err := os.Stat(filepath.Join(dir, "socks-2026-09.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	last := map[string]Progress{}
	progress := func(name string, size int64) func(Progress) {
		events = append(events, fmt.Sprintf("start %s %d", name, size))
		return func(p Progress) {
			if _, seen := last[p.Pass]; !seen {
				events = append(events, p.Pass)
			}
			last[p.Pass] = p
		}
	}
	im, err := New(e.ctx, e.db, Config{Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := im.RunJob(e.ctx, e.job("socks"), Options{}); err != nil || res[0].Status != models.StatusOK {
		t.Fatalf("RunJob = %+v, %v", res, err)
	}
	name, size := h.URL+"/socks-2026-09.csv", st.Size()
	want := []string{fmt.Sprintf("start %s %d", name, size), PassDownload, PassChecksum, PassLoad}
	if !slices.Equal(events, want) {
		t.Errorf("progress reports:\n got %q\nwant %q", events, want)
	}
	if d, l := last[PassDownload], last[PassLoad]; d.Bytes != size || !l.Done || l.Rows != 300 {
		t.Errorf("the download's last report %+v, the load's %+v; want %d bytes downloaded, 300 rows loaded", d, l, size)
	}
}

// TestRemotePermissionDenied: a file the server will not hand over fails
// saying so, is not retried, and the files beside it are imported.
func TestRemotePermissionDenied(t *testing.T) {
	says := map[string]string{"http": "403 Forbidden; the server refused the credentials", "s3": "permission denied; the credentials may not list or read dumps", "sftp": "permission denied; the account supplier may not read it"}
	for _, k := range remoteKindsUnderTest() {
		t.Run(k.name, func(t *testing.T) {
			srv := k.serve(t, sampleDir(t))
			srv.deny(sampleSocks[1])
			e := newImportEnv(t, sampleSocksJob(t, srv.source))
			res := e.runJob("socks", Options{})
			if len(res) != 3 || res[0].Status != models.StatusOK || res[2].Status != models.StatusOK {
				t.Fatalf("results = %+v; want the first and last file imported", res)
			}
			if r := res[1]; r.Status != models.StatusFailed || !strings.Contains(fmt.Sprint(r.Err), says[k.name]) || Retryable(r.Err) {
				t.Errorf("%s = %s, %v; want failed saying %q, not retried", r.Path, r.Status, r.Err, says[k.name])
			}
		})
	}
}
