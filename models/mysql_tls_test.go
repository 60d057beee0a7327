package models

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// tlsOutcomes is what happens with one URL in four handshakes with a
// server whose certificate is for localhost only: asked for by the names
// localhost and 127.0.0.1, with the URL naming the server's own CA, then
// another CA. "-" is no TLS at all, "ok" a handshake, "okc" one with a
// client certificate, "x" a refused handshake.
type tlsOutcomes [4]string

var tlsVariants = [4]struct{ host, ca string }{{"localhost", "right"}, {"127.0.0.1", "right"}, {"localhost", "wrong"}, {"127.0.0.1", "wrong"}}

func same(o string) tlsOutcomes { return tlsOutcomes{o, o, o, o} }

var (
	noTLS      = same("-")
	unchecked  = same("ok")
	verifyFull = tlsOutcomes{"ok", "x", "x", "x"}
	verifyCA   = tlsOutcomes{"ok", "ok", "x", "x"}
	refused    = same("x") // the system's CAs do not know the test CA
)

// TestMySQLTLSOptions proves that each MySQL TLS option means in sluice
// what it means to the app sharing the URL: every URL below is tried in
// handshakes with a TLS server of the test's own, by sluice's tls.Config
// and by the SSLContext PyMySQL 1.0.2 builds from what SQLAlchemy 1.4
// hands it (no MySQL server is needed for that). Where sluice refuses a
// URL, app says what the app would do, which the refusal explains.
func TestMySQLTLSOptions(t *testing.T) {
	t.Parallel()
	certs := dbtest.NewCerts(t, "localhost")
	other := dbtest.NewCerts(t, "localhost")
	cert, key := certs.Client(t, "app")
	both := filepath.Join(t.TempDir(), "both.pem")
	writeFiles(t, both, cert, key)
	tests := []struct {
		scheme, query string // {ca} is the right or the wrong CA, per variant
		sluice        tlsOutcomes
		err           string      // sluice's refusal, instead of sluice
		app           tlsOutcomes // with PyMySQL, when different from sluice
		appErr        string      // the app's exception, for a URL it fails on
	}{
		{query: "", sluice: noTLS},
		{query: "charset=utf8mb4", sluice: noTLS},
		{query: "ssl_ca={ca}", sluice: verifyFull},
		{query: "ssl_ca={ca}&ssl_check_hostname=false", sluice: verifyCA},
		{query: "ssl_ca={ca}&ssl_check_hostname=true", sluice: verifyFull},
		{query: "ssl_ca={ca}&ssl_cert={cert}&ssl_key={key}", sluice: tlsOutcomes{"okc", "x", "x", "x"}},
		{query: "ssl_ca={ca}&ssl_cert={both}", sluice: tlsOutcomes{"okc", "x", "x", "x"}},
		{query: "ssl_cert={cert}&ssl_key={key}", sluice: same("okc")},
		{query: "ssl_check_hostname=false", sluice: unchecked},
		{query: "ssl_verify_cert=true", sluice: refused},
		{query: "ssl_verify_cert=Optional", sluice: refused},
		{query: "ssl_verify_cert=false", sluice: unchecked},
		{query: "ssl_verify_identity=false", sluice: unchecked},
		{query: "ssl_verify_cert=false&ssl_verify_identity=no", sluice: unchecked},
		{query: "ssl=true&ssl_ca={ca}", sluice: verifyFull},
		{query: "ssl=true&ssl_verify_cert=false", sluice: unchecked},
		{query: "ssl_disabled=true", sluice: noTLS},
		{query: "ssl_ca=", sluice: noTLS}, // SQLAlchemy drops empty options

		{query: "ssl_ca={ca}&ssl_verify_identity=true", err: "ssl_verify_identity with ssl_ca: SQLAlchemy hands ssl_ca to PyMySQL in its ssl dict, which PyMySQL replaces when it gets ssl_verify_identity, so the app would connect without ssl_ca", app: unchecked},
		{query: "ssl_ca={ca}&ssl_verify_cert=true", err: "ssl_verify_cert with ssl_ca:", app: refused},
		{query: "ssl_ca={ca}&ssl_cert={cert}&ssl_key={key}&ssl_verify_cert=false", err: "ssl_verify_cert with ssl_ca:", app: unchecked},
		{query: "ssl_verify_identity=true", err: "ssl_verify_identity=true: PyMySQL checks the host name only against a CA given as ssl_ca", app: unchecked},
		{query: "ssl_verify_cert=true&ssl_verify_identity=1", err: "ssl_verify_identity=1: PyMySQL checks the host name only", app: refused},
		{query: "ssl_check_hostname=true", err: "ssl_check_hostname=true without ssl_ca: PyMySQL checks nothing without a CA", app: unchecked},
		{query: "ssl_key={key}", err: "ssl_key without ssl_cert: the app would send no client certificate", app: unchecked},
		{query: "ssl_verify_cert=sure", err: `ssl_verify_cert "sure": want true or false`, app: unchecked},
		{query: "ssl_disabled=false", err: `ssl_disabled=false: PyMySQL turns TLS off for any value (it gets the string "false", true in Python)`, app: noTLS},
		{query: "ssl_disabled=1&ssl_ca={ca}", err: "ssl_disabled with ssl_ca: the app connects without TLS then", app: noTLS},
		{query: "ssl=true", err: "ssl=true alone: PyMySQL fails on it", appErr: "AttributeError: 'str' object has no attribute 'get'"},
		{query: "ssl=false", err: "ssl=false alone: PyMySQL fails on it", appErr: "AttributeError"},
		{query: "ssl=false&ssl_ca={ca}", err: "ssl=false with ssl_ca: the app uses TLS anyway", app: verifyFull},
		{query: "ssl_mode=REQUIRED", err: "ssl_mode is mysqlclient's: PyMySQL (mysql+pymysql://) fails on it", appErr: "TypeError: Connection.__init__() got an unexpected keyword argument 'ssl_mode'"},
		{query: "ssl_check_hostname=maybe&ssl_ca={ca}", err: `ssl_check_hostname "maybe": want true or false`, appErr: "ValueError: String is not true/false: 'maybe'"},
		{query: "ssl_ca=/nonexistent/ca.pem", err: "ssl_ca /nonexistent/ca.pem: no such file or directory", appErr: "FileNotFoundError"},
		{query: "ssl_cipher=HIGH", err: "sluice does not read ssl_cipher", app: unchecked},

		// The other schemes: no PyMySQL to compare with.
		{scheme: "mysql", query: "ssl=true", sluice: unchecked},
		{scheme: "mariadb", query: "ssl=1&ssl_ca={ca}", sluice: verifyFull},
		{scheme: "mysql", query: "ssl=false", sluice: noTLS},
		{scheme: "mysql", query: "ssl_ca={ca}", sluice: verifyFull},
		{scheme: "mysql+mysqldb", query: "ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}", sluice: verifyFull},
		{scheme: "mysql+mysqldb", query: "ssl_mode=VERIFY_CA&ssl_ca={ca}", sluice: verifyCA},
		{scheme: "mysql+mysqldb", query: "ssl_mode=VERIFY_CA", sluice: refused},
		{scheme: "mysql+mysqldb", query: "ssl_mode=REQUIRED&ssl_cert={cert}&ssl_key={key}", sluice: same("okc")},
		{scheme: "mysql+mysqldb", query: "ssl_mode=DISABLED", sluice: noTLS},
		{scheme: "mysql+mysqldb", query: "ssl_mode=required", err: `ssl_mode "required": mysqlclient takes it in capitals only: ssl_mode=REQUIRED`},
		{scheme: "mysql+mysqldb", query: "ssl_mode=REQUIRED&ssl_ca={ca}", err: "ssl_mode=REQUIRED with ssl_ca: REQUIRED does not check the server's certificate"},
		{scheme: "mysql+mysqldb", query: "ssl_mode=VERIFY_IDENTITY&ssl_verify_cert=true", err: "ssl_verify_cert is PyMySQL's: mysqlclient (mysql+mysqldb://) fails on it"},
		{scheme: "mysql", query: "ssl_mode=VERIFY_IDENTITY&ssl_check_hostname=false", err: "ssl_mode with ssl_check_hostname: ssl_mode is mysqlclient's"},
		{scheme: "mysql", query: "ssl_mode=DISABLED&ssl_ca={ca}", err: "ssl_mode=DISABLED with other ssl_ options"},
	}
	probe := newTLSProbe(t, certs)
	files := strings.NewReplacer("{cert}", cert, "{key}", key, "{both}", both)
	urlFor := func(scheme, query string, v int) string {
		if scheme == "" {
			scheme = "mysql+pymysql"
		}
		ca := map[string]string{"right": certs.CA, "wrong": other.CA}[tlsVariants[v].ca]
		u := scheme + "://app@" + tlsVariants[v].host + ":3306/shop"
		if query != "" {
			u += "?" + strings.ReplaceAll(files.Replace(query), "{ca}", ca)
		}
		return u
	}
	var appURLs []string
	for _, tt := range tests {
		for v := range tlsVariants {
			raw := urlFor(tt.scheme, tt.query, v)
			target, err := ParseURL(raw, "")
			switch {
			case tt.err != "":
				var ue *URLError
				if !errors.As(err, &ue) || !strings.Contains(ue.Reason, tt.err) {
					t.Errorf("ParseURL(%s) = %v; want a *URLError saying %q", raw, err, tt.err)
				}
			case err != nil:
				t.Errorf("ParseURL(%s): %v", raw, err)
			default:
				if got := probe.handshake(t, target.dialect.(*mysqlDialect).cfg.TLS); got != tt.sluice[v] {
					t.Errorf("sluice with %s (%s host, %s CA): %s, want %s", raw, tlsVariants[v].host, tlsVariants[v].ca, got, tt.sluice[v])
				}
			}
			if tt.scheme == "" {
				appURLs = append(appURLs, raw)
			}
		}
	}

	t.Run("app", func(t *testing.T) {
		got := probe.app(t, appURLs)
		i := 0
		for _, tt := range tests {
			if tt.scheme != "" {
				continue
			}
			want := tt.app
			if want == (tlsOutcomes{}) {
				want = tt.sluice
			}
			for v := range tlsVariants {
				g := got[i]
				i++
				if tt.appErr != "" {
					if !strings.HasPrefix(g, "error") || !strings.Contains(g, tt.appErr) {
						t.Errorf("app with %s: %s, want the app to fail with %s", appURLs[i-1], g, tt.appErr)
					}
					continue
				}
				if outcome, _, _ := strings.Cut(g, " "); outcome != want[v] {
					t.Errorf("app with %s (%s host, %s CA): %s, want %s", appURLs[i-1], tlsVariants[v].host, tlsVariants[v].ca, g, want[v])
				}
			}
		}
	})
}

// tlsProbe is a TLS server that only shakes hands, asking for a client
// certificate, and reports each handshake in order.
type tlsProbe struct {
	addr    string
	results chan string // "ok", "okc" (with a client certificate) or "x"
}

func newTLSProbe(t *testing.T, certs *dbtest.Certs) *tlsProbe {
	pair, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequestClientCert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &tlsProbe{addr: l.Addr().String(), results: make(chan string, 1000)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			r := "ok"
			if err := tc.Handshake(); err != nil {
				r = "x"
			} else if len(tc.ConnectionState().PeerCertificates) > 0 {
				r = "okc"
			}
			tc.Close()
			p.results <- r
		}
	}()
	return p
}

// handshake is what sluice's TLS configuration (nil: none) makes of a
// handshake with the probe.
func (p *tlsProbe) handshake(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	if cfg == nil {
		return "-"
	}
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc := tls.Client(conn, cfg.Clone())
	clientErr := tc.Handshake()
	if clientErr == nil {
		// TLS 1.3 clients may finish first: hand the server our Finished.
		tc.Close()
	}
	server := <-p.results
	if clientErr != nil {
		return "x"
	}
	return server
}

// appProbe builds, for each URL, the SSLContext PyMySQL builds from what
// SQLAlchemy's create_connect_args gives it, and shakes hands with it
// as PyMySQL does (server_hostname is the URL's host).
const appProbe = `import socket, ssl, sys, sqlalchemy, pymysql
port = int(sys.argv[1])
for line in sys.stdin:
    url = line.strip()
    try:
        engine = sqlalchemy.create_engine(url)
        _, kw = engine.dialect.create_connect_args(engine.url)
        conn = pymysql.connections.Connection(defer_connect=True, **kw)
        if not conn.ssl:
            print("-", flush=True)
            continue
        sock = socket.create_connection(("127.0.0.1", port))
        try:
            conn.ctx.wrap_socket(sock, server_hostname=conn.host).close()
            print("ok", flush=True)
        except ssl.SSLError as e:
            print("x", e, flush=True)
        finally:
            sock.close()
    except Exception as e:
        print("error %s: %s" % (type(e).__name__, e), flush=True)
`

// app runs appProbe on urls and returns its outcomes, with the
// server's word on client certificates.
func (p *tlsProbe) app(t *testing.T, urls []string) []string {
	t.Helper()
	py := dbtest.Python(t, "sqlalchemy", "pymysql")
	_, port, _ := net.SplitHostPort(p.addr)
	cmd := exec.Command(py, "-c", appProbe, port)
	cmd.Stdin = strings.NewReader(strings.Join(urls, "\n") + "\n")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", py, err, stderr.String())
	}
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if l == "ok" || strings.HasPrefix(l, "x ") {
			if server := <-p.results; l == "ok" {
				l = server
			}
		}
		got = append(got, l)
	}
	if len(got) != len(urls) {
		t.Fatalf("the probe answered %d of %d URLs:\n%s\n%s", len(got), len(urls), out, stderr.String())
	}
	return got
}

// writeFiles writes the concatenation of files to path.
func writeFiles(t *testing.T, path string, files ...string) {
	t.Helper()
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := os.WriteFile(path, all, 0o600); err != nil {
		t.Fatal(err)
	}
}
