package models

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
)

// The MySQL URL's TLS options mean in sluice what they mean to the app
// that shares the URL: SQLAlchemy 1.4's MySQL dialects hand them to the
// Python driver, and the meanings below are read from SQLAlchemy 1.4.46
// (dialects/mysql/mysqldb.py, which the pymysql dialect inherits) and
// PyMySQL 1.0.2 (connections.py), and, for ssl_mode, mysqlclient.
//
//   - SQLAlchemy moves ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher
//     and ssl_check_hostname (made a bool) into an ssl dict. PyMySQL turns
//     it into an SSLContext: with a CA it checks the certificate against
//     that CA only, and the host name unless check_hostname is false;
//     without one it checks nothing. It reads the key only with a
//     certificate.
//   - ssl_verify_cert, ssl_verify_identity and ssl_disabled reach PyMySQL
//     as strings. Either of the first two makes PyMySQL build a new ssl
//     dict in place of SQLAlchemy's, so ssl_ca, ssl_cert and ssl_key are
//     lost; with no CA left, the host name is never checked, and
//     ssl_verify_cert=true checks the chain against the system's CAs.
//     ssl_disabled turns TLS off whatever its value ("false" is true).
//   - ssl=true alone reaches PyMySQL as the string "true", which it
//     takes for a dict and fails on; mysqlclient (2.2.4 on) and MariaDB's
//     connector read it as TLS without checks.
//   - ssl_mode is mysqlclient's (it compares the value in capitals);
//     PyMySQL fails on it.
//
// Where the app would silently do less than an option says (lose the CA,
// not check the host name it was asked to), or fail, sluice refuses the
// URL and says why, rather than differ from the app or copy the loss.
// One difference is deliberate: PyMySQL goes on without TLS when the
// server offers none; sluice refuses to, except with ssl_mode=PREFERRED.

// mysqlTLSOptions are the TLS options parseMySQL collects for mysqlTLS.
var mysqlTLSOptions = []string{"ssl_ca", "ssl_capath", "ssl_cert", "ssl_key", "ssl_check_hostname",
	"ssl_cipher", "ssl_verify_cert", "ssl_verify_identity", "ssl_disabled", "ssl", "ssl_mode"}

// mysqlTLS is what the URL's TLS options ask of go-sql-driver: the TLS
// configuration (nil: none), and whether a server without TLS is fine.
// driver is the Python driver the scheme names ("pymysql" for
// mysql+pymysql://), which refuses some options; host is checked
// against the server's certificate.
func mysqlTLS(opts map[string]string, driver, host, baseDir string) (*tls.Config, bool, tlsSetup, error) {
	setup := tlsSetup{names: mysqlTLSNames}
	if len(opts) == 0 {
		return nil, false, setup, nil
	}
	given := func(names ...string) []string {
		return slices.DeleteFunc(names, func(n string) bool { _, ok := opts[n]; return !ok })
	}
	// others are the TLS options given besides name.
	others := func(name string) []string {
		return given(slices.DeleteFunc(slices.Clone(mysqlTLSOptions), func(n string) bool { return n == name })...)
	}
	switch o := given("ssl_verify_cert", "ssl_verify_identity", "ssl_disabled"); {
	case driver == "pymysql" && len(given("ssl_mode")) > 0:
		return nil, false, setup, fmt.Errorf("ssl_mode is mysqlclient's: PyMySQL (mysql+pymysql://) fails on it (TypeError: unexpected keyword argument 'ssl_mode'); use %s, which checks the server's certificate and host name", mysqlTLSNames.verified)
	case driver == "mysqldb" && len(o) > 0:
		return nil, false, setup, fmt.Errorf("%s is PyMySQL's: mysqlclient (mysql+mysqldb://) fails on it (TypeError: unexpected keyword argument); use ssl_mode=VERIFY_IDENTITY&ssl_ca=/path/to/ca.pem", o[0])
	case len(given("ssl_cipher")) > 0:
		return nil, false, setup, fmt.Errorf("sluice does not read ssl_cipher (OpenSSL cipher lists have no Go equivalent; Go negotiates TLS 1.2 or 1.3 with strong ciphers): leave it out")
	}
	if v, ok := opts["ssl_disabled"]; ok {
		if on, known := sqlalchemyBool(v); !known || !on {
			return nil, false, setup, fmt.Errorf("ssl_disabled=%s: PyMySQL turns TLS off for any value (it gets the string %q, true in Python); for TLS leave the option out", v, v)
		}
		if o := others("ssl_disabled"); len(o) > 0 {
			return nil, false, setup, fmt.Errorf("ssl_disabled with %s: the app connects without TLS then, and never reads %s; keep one of them", o[0], o[0])
		}
		return nil, false, setup, nil
	}
	if v, ok := opts["ssl_mode"]; ok {
		return mysqlSSLMode(opts, v, host, baseDir, setup)
	}

	dict := given("ssl_ca", "ssl_capath", "ssl_cert", "ssl_key", "ssl_check_hostname") // SQLAlchemy's ssl dict
	kw := given("ssl_verify_cert", "ssl_verify_identity")                              // PyMySQL's own
	if len(dict) > 0 && len(kw) > 0 {
		return nil, false, setup, fmt.Errorf("%s with %s: SQLAlchemy hands %s to PyMySQL in its ssl dict, which PyMySQL replaces when it gets %s, so the app would connect without %s; "+
			"leave %s out (ssl_ca alone checks the certificate and the host name, with ssl_check_hostname=false the certificate only)", kw[0], dict[0], dict[0], kw[0], dict[0], kw[0])
	}
	if v, ok := opts["ssl"]; ok {
		on, known := sqlalchemyBool(v)
		switch {
		case !known:
			return nil, false, setup, fmt.Errorf("ssl %q: want true or false", v)
		case driver == "pymysql" && len(opts) == 1:
			instead := "for no TLS leave it out"
			if on {
				instead = fmt.Sprintf("use %s to check the server, or ssl_verify_cert=false to encrypt without checks", mysqlTLSNames.verified)
			}
			return nil, false, setup, fmt.Errorf("ssl=%s alone: PyMySQL fails on it (SQLAlchemy passes the string %q where PyMySQL wants a dict: AttributeError: 'str' object has no attribute 'get'); %s", v, v, instead)
		case !on && len(opts) > 1:
			return nil, false, setup, fmt.Errorf("ssl=%s with %s: the app uses TLS anyway; keep one of them", v, others("ssl")[0])
		case !on:
			return nil, false, setup, nil
		}
	}

	cfg := &tls.Config{}
	setup.on = true
	if len(kw) > 0 {
		if v, ok := opts["ssl_verify_identity"]; ok {
			switch on, known := sqlalchemyBool(v); {
			case !known:
				return nil, false, setup, fmt.Errorf("ssl_verify_identity %q: want true or false", v)
			case on:
				return nil, false, setup, fmt.Errorf("ssl_verify_identity=%s: PyMySQL checks the host name only against a CA given as ssl_ca, which SQLAlchemy cannot hand it alongside ssl_verify_identity, so the app would not check it; use %s alone, which checks the certificate and the host name", v, mysqlTLSNames.verified)
			}
		}
		verify := false
		if v, ok := opts["ssl_verify_cert"]; ok {
			var known bool
			if verify, known = pymysqlVerifyMode(v); !known {
				return nil, false, setup, fmt.Errorf("ssl_verify_cert %q: want true or false (PyMySQL also reads 1, yes, required, optional, 0, no, none)", v)
			}
		}
		// Either way Go's own check (which wants a host name) is off;
		// verify is PyMySQL's CERT_REQUIRED without a CA: the chain
		// against the system's CAs, no host name.
		cfg.InsecureSkipVerify = true //nolint:gosec // the app checks no more; see above
		if verify {
			cfg.VerifyConnection = verifyCAOnly(nil)
		}
		return cfg, false, setup, nil
	}

	roots, err := mysqlCA(opts, baseDir, &setup)
	if err != nil {
		return nil, false, setup, err
	}
	checkHost := true
	if v, ok := opts["ssl_check_hostname"]; ok {
		var known bool
		if checkHost, known = sqlalchemyBool(v); !known {
			// SQLAlchemy: ValueError: String is not true/false.
			return nil, false, setup, fmt.Errorf("ssl_check_hostname %q: want true or false", v)
		}
		if checkHost && roots == nil {
			return nil, false, setup, fmt.Errorf("ssl_check_hostname=%s without ssl_ca: PyMySQL checks nothing without a CA, so the app would not check the host name; add ssl_ca=/path/to/ca.pem", v)
		}
	}
	switch {
	case roots == nil:
		cfg.InsecureSkipVerify = true //nolint:gosec // no CA: PyMySQL checks nothing either
	case checkHost:
		cfg.RootCAs, cfg.ServerName = roots, host
	default:
		cfg.InsecureSkipVerify, cfg.VerifyConnection = true, verifyCAOnly(roots)
	}
	if err := mysqlClientCert(cfg, opts, baseDir, &setup); err != nil {
		return nil, false, setup, err
	}
	return cfg, false, setup, nil
}

// mysqlSSLMode reads mysqlclient's ssl_mode, with the CA and client
// certificate it takes from ssl_ca, ssl_cert and ssl_key.
func mysqlSSLMode(opts map[string]string, mode, host, baseDir string, setup tlsSetup) (*tls.Config, bool, tlsSetup, error) {
	for _, o := range []string{"ssl_verify_cert", "ssl_verify_identity", "ssl", "ssl_check_hostname"} {
		if _, ok := opts[o]; ok {
			return nil, false, setup, fmt.Errorf("ssl_mode with %s: ssl_mode is mysqlclient's, which fails on or ignores %s; with ssl_mode give only ssl_ca, ssl_capath, ssl_cert and ssl_key", o, o)
		}
	}
	modes := []string{"DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"}
	if !slices.Contains(modes, mode) {
		if up := strings.ToUpper(mode); slices.Contains(modes, up) {
			return nil, false, setup, fmt.Errorf("ssl_mode %q: mysqlclient takes it in capitals only: ssl_mode=%s", mode, up)
		}
		return nil, false, setup, fmt.Errorf("ssl_mode %q: want DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY", mode)
	}
	var ca []string
	for _, o := range []string{"ssl_ca", "ssl_capath"} {
		if _, ok := opts[o]; ok {
			ca = append(ca, o)
		}
	}
	switch {
	case mode == "DISABLED" && len(opts) > 1:
		return nil, false, setup, fmt.Errorf("ssl_mode=DISABLED with other ssl_ options: no TLS, so they are never read; keep one or the other")
	case mode == "DISABLED":
		return nil, false, setup, nil
	case (mode == "PREFERRED" || mode == "REQUIRED") && len(ca) > 0:
		return nil, false, setup, fmt.Errorf("ssl_mode=%s with %s: %s does not check the server's certificate; say ssl_mode=VERIFY_IDENTITY (or VERIFY_CA) to check it against %s", mode, ca[0], mode, ca[0])
	}
	setup.on = true
	roots, err := mysqlCA(opts, baseDir, &setup)
	if err != nil {
		return nil, false, setup, err
	}
	cfg := &tls.Config{}
	switch mode {
	case "PREFERRED", "REQUIRED":
		cfg.InsecureSkipVerify = true //nolint:gosec // encrypted, unchecked: what the mode means
	case "VERIFY_CA":
		cfg.InsecureSkipVerify, cfg.VerifyConnection = true, verifyCAOnly(roots)
	case "VERIFY_IDENTITY":
		cfg.RootCAs, cfg.ServerName = roots, host
	}
	if err := mysqlClientCert(cfg, opts, baseDir, &setup); err != nil {
		return nil, false, setup, err
	}
	return cfg, mode == "PREFERRED", setup, nil
}

// mysqlCA reads ssl_ca and ssl_capath (both, as OpenSSL would) into a
// pool; nil when neither is given.
func mysqlCA(opts map[string]string, baseDir string, setup *tlsSetup) (*x509.CertPool, error) {
	var pool *x509.CertPool
	var err error
	if p, ok := opts["ssl_capath"]; ok {
		p = resolvePath(baseDir, p)
		if pool, err = readCADir("ssl_capath", p, pool); err != nil {
			return nil, err
		}
		setup.ca = p
	}
	if p, ok := opts["ssl_ca"]; ok {
		p = resolvePath(baseDir, p)
		if pool, err = readCAFile("ssl_ca", p, pool); err != nil {
			return nil, err
		}
		setup.ca = p
	}
	return pool, nil
}

// mysqlClientCert reads ssl_cert, and its key from ssl_key or from the
// certificate's own file, as PyMySQL's load_cert_chain does.
func mysqlClientCert(cfg *tls.Config, opts map[string]string, baseDir string, setup *tlsSetup) error {
	cert, hasCert := opts["ssl_cert"]
	key, hasKey := opts["ssl_key"]
	switch {
	case hasKey && !hasCert:
		return fmt.Errorf("ssl_key without ssl_cert: the app would send no client certificate (PyMySQL reads the key only with one); add ssl_cert")
	case !hasCert:
		return nil
	}
	if hasKey {
		key = resolvePath(baseDir, key)
	}
	pair, err := readKeyPair("ssl_cert", resolvePath(baseDir, cert), "ssl_key", key)
	if err != nil {
		return err
	}
	cfg.Certificates, setup.clientCert = []tls.Certificate{pair}, true
	return nil
}

// sqlalchemyBool reads a bool as SQLAlchemy's asbool does (it coerces
// ssl_check_hostname so); known is false for other words.
func sqlalchemyBool(v string) (on, known bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "y", "t", "1":
		return true, true
	case "false", "no", "off", "n", "f", "0":
		return false, true
	}
	return false, false
}

// pymysqlVerifyMode reads ssl_verify_cert as PyMySQL does: whether the
// server's certificate is checked. (For a client, Python's
// CERT_OPTIONAL is CERT_REQUIRED.) Other words PyMySQL takes for "no";
// sluice refuses them as likely typos.
func pymysqlVerifyMode(v string) (verify, known bool) {
	switch strings.ToLower(v) {
	case "required", "1", "true", "yes", "optional":
		return true, true
	case "none", "0", "false", "no":
		return false, true
	}
	return false, false
}
