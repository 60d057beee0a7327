package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/sluice-dev/sluice/importer/remotetest"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestBinaryRemote is the sample run with the socks dumps on a server: the
// real binary imports them over HTTP (a bearer token from the
// environment) and from an S3-compatible store (AWS credentials from the
// environment) and over SFTP (a key file, known_hosts) into a fresh
// database of each backend, with the counts of
// sample-data/README.md; a second import skips them without fetching a
// body; sluice check lists what the source matches; no output holds a
// secret.
func TestBinaryRemote(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	const token, awsSecret = "tok-e2e-1234567890", "aws-e2e-secret-0987654321"
	kinds := []struct {
		name  string
		serve func(t *testing.T, data string) (source string, fileURL func(string) string, bodies func() int, env []string)
	}{
		{"http", func(t *testing.T, data string) (string, func(string) string, func() int, []string) {
			h := remotetest.NewHTTP(t, data)
			h.Token = token
			var paths []string
			for _, c := range sampleCounts[:3] {
				paths = append(paths, fmt.Sprintf("%q", h.URL+"/"+c.file))
			}
			src := fmt.Sprintf("paths: [%s]\n      http: {headers: {Authorization: \"Bearer ${SOCKS_TOKEN}\"}}", strings.Join(paths, ", "))
			return src, func(f string) string { return h.URL + "/" + f }, h.Gets, []string{"SOCKS_TOKEN=" + token}
		}},
		{"s3", func(t *testing.T, data string) (string, func(string) string, func() int, []string) {
			s := remotetest.NewS3(t, "dumps")
			s.Secret = awsSecret
			for _, c := range sampleCounts[:3] {
				b, err := os.ReadFile(filepath.Join(data, c.file))
				if err != nil {
					t.Fatal(err)
				}
				s.Put("monthly/"+c.file, b)
			}
			none := filepath.Join(t.TempDir(), "none")
			src := fmt.Sprintf("path: \"s3://dumps/monthly/socks-*.csv?endpoint=%s&use_path_style=true\"", s.URL)
			return src, func(f string) string { return "s3://dumps/monthly/" + f }, s.Gets, []string{
				"AWS_ACCESS_KEY_ID=" + s.KeyID, "AWS_SECRET_ACCESS_KEY=" + s.Secret, "AWS_EC2_METADATA_DISABLED=true",
				"AWS_CONFIG_FILE=" + none, "AWS_SHARED_CREDENTIALS_FILE=" + none, "AWS_REGION=", "AWS_PROFILE="}
		}},
		{"sftp", func(t *testing.T, data string) (string, func(string) string, func() int, []string) {
			s := remotetest.NewSFTP(t)
			src := fmt.Sprintf("path: \"sftp://%s@%s%s/socks-*.csv\"\n      sftp: {key_file: %q, known_hosts: %q}", s.User, s.Addr, data, s.KeyFile, s.KnownHosts)
			return src, func(f string) string { return fmt.Sprintf("sftp://%s@%s%s/%s", s.User, s.Addr, data, f) }, s.Opens, []string{"SSH_AUTH_SOCK="}
		}},
	}
	for _, b := range dbtest.All() {
		for _, k := range kinds {
			t.Run(b.Name+"/"+k.name, func(t *testing.T) {
				t.Parallel()
				work := filepath.Join(t.TempDir(), "work")
				copySample(t, work)
				source, fileURL, bodies, env := k.serve(t, filepath.Join(work, "sample-data"))
				config := filepath.Join(work, "config.yaml")
				yaml, err := os.ReadFile(config)
				if err != nil {
					t.Fatal(err)
				}
				local := `path: "sample-data/socks-*.csv"`
				if !strings.Contains(string(yaml), local) {
					t.Fatalf("config.yaml has no %s", local)
				}
				copyFile(t, config, config+".orig")
				if err := os.WriteFile(config, []byte(strings.Replace(string(yaml), local, source, 1)), 0o644); err != nil {
					t.Fatal(err)
				}
				s := newSluiceCmd(bin, work, b.New(t))
				s.env = append(s.env, env...)
				var out strings.Builder
				run := func(args ...string) string {
					t.Helper()
					code, stdout, stderr := s.run(t, args...)
					out.WriteString(stdout + stderr)
					if code != 0 {
						t.Fatalf("sluice %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
					}
					return stdout
				}

				stdout := run("import", "--config", config)
				for _, c := range sampleCounts[:3] {
					want := fmt.Sprintf("socks %s: %d rows, %d inserted, %d updated, %d unchanged, %d rejected in ",
						fileURL(c.file), c.rows, c.inserted, c.updated, c.unchanged, c.rejected)
					if !strings.Contains(stdout, want) {
						t.Errorf("sluice import says no %q:\n%s", want, stdout)
					}
				}
				if got := bodies(); got != 3 {
					t.Errorf("the import fetched %d bodies, want 3", got)
				}
				stdout = run("import", "--config", config)
				for i, c := range sampleCounts[:3] {
					if want := fmt.Sprintf("socks %s: already imported (run %d, ", fileURL(c.file), i+1); !strings.Contains(stdout, want) {
						t.Errorf("second sluice import says no %q:\n%s", want, stdout)
					}
				}
				if got := bodies(); got != 3 {
					t.Errorf("after the second import %d bodies were fetched, want still 3", got)
				}
				stdout = run("check", "--config", config)
				for _, c := range sampleCounts[:3] {
					if want := "job socks:   " + fileURL(c.file) + " ("; !strings.Contains(stdout, want) {
						t.Errorf("sluice check does not list %q:\n%s", want, stdout)
					}
				}
				if !strings.Contains(stdout, "job socks: 3 file(s) match ") || !strings.HasSuffix(stdout, "It works.\n") {
					t.Errorf("sluice check:\n%s", stdout)
				}
				run("history", "--config", config)
				if all := out.String(); strings.Contains(all, token) || strings.Contains(all, awsSecret) {
					t.Errorf("a secret is in sluice's output:\n%s", all)
				}
			})
		}
	}
}

// TestBinaryRemoteUnknownHost: sluice check and sluice import on an SFTP
// server whose host key known_hosts lacks both fail, exit 1, with the
// fingerprint and the line to add, and the import is in the ledger as a
// failed run.
func TestBinaryRemoteUnknownHost(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	work := filepath.Join(t.TempDir(), "work")
	copySample(t, work)
	s := remotetest.NewSFTP(t)
	config := filepath.Join(work, "config.yaml")
	yaml, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("path: \"sftp://%s@%s%s/socks-*.csv\"\n      sftp: {key_file: %q, known_hosts: %q}", s.User, s.Addr, filepath.Join(work, "sample-data"), s.KeyFile, s.EmptyKnownHosts)
	if err := os.WriteFile(config, []byte(strings.Replace(string(yaml), `path: "sample-data/socks-*.csv"`, src, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := newSluiceCmd(bin, work, "")
	want := fmt.Sprintf("the host key of %s is not in %s: its ssh-ed25519 fingerprint is %s", s.Addr, s.EmptyKnownHosts, ssh.FingerprintSHA256(s.HostKey))
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey)
	for _, cmd := range []string{"check", "import"} {
		code, stdout, stderr := sc.run(t, cmd, "--config", config)
		if code != 1 || !strings.Contains(stdout+stderr, want) || !strings.Contains(stdout+stderr, line) {
			t.Errorf("sluice %s: exit %d, want 1 saying %q and the line %q\nstdout:\n%s\nstderr:\n%s", cmd, code, want, line, stdout, stderr)
		}
		if s.Opens() != 0 {
			t.Errorf("sluice %s opened %d files on a server it does not trust", cmd, s.Opens())
		}
	}
	_, stdout, _ := sc.run(t, "history", "--config", config)
	if !strings.Contains(stdout, "/socks-*.csv  failed ") || !strings.Contains(stdout, "fingerprint is ") {
		t.Errorf("sluice history shows no failed run of the SFTP source:\n%s", stdout)
	}
}
