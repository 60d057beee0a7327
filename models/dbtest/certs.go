package dbtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are the PEM files of a test's own certificate authority: its
// certificate, and a server certificate and key it signed. Give Certs to
// ServerOptions.TLS; a second NewCerts is a CA the server does not know,
// for the wrong-CA case. Files live in a t.TempDir.
type Certs struct {
	CA         string // the CA's certificate
	ServerCert string // the server's certificate, signed by CA
	ServerKey  string // its private key, unencrypted
	// Hosts are the names and addresses ServerCert is for.
	Hosts []string

	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
}

// NewCerts makes a CA and a server certificate it signed for hosts: DNS
// names or IP addresses ("localhost", "127.0.0.1"). A name left out is
// how a test gets a host name that does not match.
func NewCerts(t testing.TB, hosts ...string) *Certs {
	t.Helper()
	c := &Certs{Hosts: hosts, dir: t.TempDir()}
	c.caKey = newKey(t)
	tmpl := certTemplate(t, "sluice test CA")
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &c.caKey.PublicKey, c.caKey)
	if err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	if c.caCert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	c.CA = c.write(t, "ca.pem", pemBlock("CERTIFICATE", der))

	srv := certTemplate(t, hosts[0])
	srv.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			srv.IPAddresses = append(srv.IPAddresses, ip)
		} else {
			srv.DNSNames = append(srv.DNSNames, h)
		}
	}
	c.ServerCert, c.ServerKey = c.sign(t, "server", srv)
	return c
}

// Client returns a client certificate the CA signed for user (its common
// name, which PostgreSQL's cert authentication matches against the user
// name), and its key, as two files.
func (c *Certs) Client(t testing.TB, user string) (cert, key string) {
	t.Helper()
	tmpl := certTemplate(t, user)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return c.sign(t, "client-"+user, tmpl)
}

// sign issues tmpl under the CA and writes name.pem and name-key.pem.
func (c *Certs) sign(t testing.TB, name string, tmpl *x509.Certificate) (cert, key string) {
	t.Helper()
	k := newKey(t)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.caCert, &k.PublicKey, c.caKey)
	if err != nil {
		t.Fatalf("%s certificate: %v", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return c.write(t, name+".pem", pemBlock("CERTIFICATE", der)), c.write(t, name+"-key.pem", pemBlock("PRIVATE KEY", keyDER))
}

func (c *Certs) write(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(c.dir, name)
	// 0600: PostgreSQL refuses a key others may read.
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newKey is an ECDSA P-256 key: quick to make, and every server and
// driver involved takes it.
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// certTemplate is valid from an hour ago (clock skew) for a day.
func certTemplate(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"sluice tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
