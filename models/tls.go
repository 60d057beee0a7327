package models

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// tlsSetup is what a URL asks of TLS, in the URL's own words, for the
// messages of Diagnose.
type tlsSetup struct {
	on bool // the connection is encrypted (or tries to be)
	// ca is the CA file (or folder) the server's certificate is checked
	// against; "" for the system's CAs, or when nothing is checked.
	ca         string
	clientCert bool // a client certificate is offered
	names      tlsNames
}

// tlsNames are one database's URL options for TLS, for hints.
type tlsNames struct {
	ca     string // option naming the CA file: "ssl_ca"
	cert   string // options of the client certificate: "ssl_cert and ssl_key"
	caOnly string // options that check the CA but not the host name
	// verified are the options of a connection that checks the server's
	// certificate and host name, as an example.
	verified string
}

var (
	mysqlTLSNames = tlsNames{ca: "ssl_ca", cert: "ssl_cert and ssl_key", caOnly: "ssl_check_hostname=false",
		verified: "ssl_ca=/path/to/ca.pem"}
	postgresTLSNames = tlsNames{ca: "sslrootcert", cert: "sslcert and sslkey", caOnly: "sslmode=verify-ca",
		verified: "sslmode=verify-full&sslrootcert=/path/to/ca.pem"}
)

// resolvePath makes a relative file name in a URL relative to baseDir
// (config.yaml's folder), as SQLite paths are, so a timer started from /
// reads the files a user in the project folder meant.
func resolvePath(baseDir, path string) string {
	if filepath.IsAbs(path) || baseDir == "" {
		return path
	}
	return filepath.Join(baseDir, path)
}

// fileError names the option and the file: "ssl_ca /etc/ca.pem: no such
// file or directory".
func fileError(option, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", option, path, err)
}

// readCAFile adds the PEM certificates of path to pool (a new one if
// nil).
func readCAFile(option, path string, pool *x509.CertPool) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(option, path, err)
	}
	if pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in it", option, path)
	}
	return pool, nil
}

// hashedName is how OpenSSL's CA folders (c_rehash, openssl rehash) name
// their files, the only ones OpenSSL reads there.
var hashedName = regexp.MustCompile(`^[0-9a-f]{8}\.[0-9]+$`)

// readCADir adds the certificates of an OpenSSL CA folder to pool.
func readCADir(option, dir string, pool *x509.CertPool) (*x509.CertPool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fileError(option, dir, err)
	}
	found := false
	for _, e := range entries {
		if !hashedName.MatchString(e.Name()) {
			continue
		}
		if pool, err = readCAFile(option, filepath.Join(dir, e.Name()), pool); err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, fmt.Errorf("%s %s: no certificate files named by their hash (as openssl rehash names them) in it", option, dir)
	}
	return pool, nil
}

// readKeyPair reads a client certificate and its unencrypted key; the
// key may be in the certificate's file (keyPath "").
func readKeyPair(certOption, certPath, keyOption, keyPath string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, fileError(certOption, certPath, err)
	}
	keyPEM := certPEM
	if keyPath == "" {
		keyOption, keyPath = certOption, certPath
	} else if keyPEM, err = os.ReadFile(keyPath); err != nil {
		return tls.Certificate{}, fileError(keyOption, keyPath, err)
	}
	if encryptedKey(keyPEM) {
		return tls.Certificate{}, fmt.Errorf("%s %s: the key is encrypted; sluice needs it unencrypted (readable by its user only)", keyOption, keyPath)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if keyPath == certPath {
			return tls.Certificate{}, fmt.Errorf("%s %s (certificate and key): %v", certOption, certPath, err)
		}
		return tls.Certificate{}, fmt.Errorf("%s %s with %s %s: %v", certOption, certPath, keyOption, keyPath, err)
	}
	return pair, nil
}

// encryptedKey reports whether the PEM holds an encrypted private key
// (PKCS#8 ENCRYPTED PRIVATE KEY, or the legacy Proc-Type header).
func encryptedKey(b []byte) bool {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return false
		}
		//nolint:staticcheck // IsEncryptedPEMBlock only reads the header here
		if block.Type == "ENCRYPTED PRIVATE KEY" || x509.IsEncryptedPEMBlock(block) {
			return true
		}
	}
}

// verifyCAOnly checks the server's chain against roots (nil: the
// system's) without its host name: libpq's verify-ca, PyMySQL's
// ssl_check_hostname=false. It goes with InsecureSkipVerify, which turns
// off only Go's own check.
func verifyCAOnly(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the server sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}
