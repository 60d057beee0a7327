package models

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
)

// A server without TLS when the URL asks for it; each dialect knows its
// driver's word for that.
const (
	noTLSProblem = "the server does not offer TLS, which the URL requires"
	noTLSHint    = "turn TLS on in the server (its certificate and key), or connect without TLS"
)

// tlsProblem explains a failed TLS handshake in the URL's own terms: the
// server's certificate not signed by the CA given, for another host,
// expired; the server refusing the client's certificate. ok is false for
// other errors.
func tlsProblem(t Target, err error) (problem, hint string, ok bool) {
	n := t.tls.names
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var op *net.OpError
	switch {
	case errors.As(err, &unknown) && t.tls.ca == "":
		return "the server's certificate is not signed by a CA this system trusts",
			fmt.Sprintf("name the CA that signed it: %s", n.verified), true
	case errors.As(err, &unknown):
		return fmt.Sprintf("the server's certificate is not signed by the CA in %s (%s)", n.ca, t.tls.ca),
			fmt.Sprintf("make %s the CA that signed the server's certificate (the one the server's administrator or provider publishes)", n.ca), true
	case errors.As(err, &host):
		return fmt.Sprintf("the server's certificate is for %s, not %s", certNames(host.Certificate), host.Host),
			fmt.Sprintf("connect by a name the certificate holds, or check the CA only (%s)", n.caOnly), true
	case errors.As(err, &invalid):
		return fmt.Sprintf("the server's certificate is not valid: %v", invalid), "renew it on the server, or check this machine's clock", true
	case errors.As(err, &op) && op.Op == "remote error" && t.tls.clientCert:
		return fmt.Sprintf("the server refused the TLS handshake (%v)", op.Err),
			fmt.Sprintf("it does not accept the client certificate (%s): is it signed by the CA the server trusts for clients?", n.cert), true
	case errors.As(err, &op) && op.Op == "remote error":
		return fmt.Sprintf("the server refused the TLS handshake (%v)", op.Err),
			fmt.Sprintf("it may want a client certificate: add %s", n.cert), true
	}
	return "", "", false
}

// tlsFailure reports whether err is a TLS handshake that failed for a
// reason a retry will not change (a certificate, a refusal).
func tlsFailure(err error) bool {
	var verify x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var op *net.OpError
	return errors.As(err, &verify) || errors.As(err, &host) || errors.As(err, &invalid) ||
		(errors.As(err, &op) && op.Op == "remote error")
}

// certNames lists what a certificate is for, as Go's host name check
// reads it: its DNS names and IP addresses.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "another host"
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name"
	}
	return strings.Join(names, ", ")
}
