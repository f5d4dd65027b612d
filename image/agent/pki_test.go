package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"slices"
	"testing"
	"time"
)

// pemBlock is the bytes of the one PEM block of type typ that data holds.
func pemBlock(t *testing.T, data []byte, typ string) []byte {
	t.Helper()
	block, rest := pem.Decode(data)
	if block == nil || block.Type != typ || len(rest) != 0 {
		t.Fatalf("not one PEM %s: %q", typ, data)
	}
	return block.Bytes
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	cert, err := x509.ParseCertificate(pemBlock(t, data, "CERTIFICATE"))
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func parseKey(t *testing.T, data []byte) *ecdsa.PrivateKey {
	t.Helper()
	key, err := x509.ParseECPrivateKey(pemBlock(t, data, "EC PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func verify(cert *x509.Certificate, ca *x509.Certificate, usage x509.ExtKeyUsage, dnsName string) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: dnsName, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

func TestNewCA(t *testing.T) {
	ca, err := newCA("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	cert := parseCert(t, ca.pem.cert)
	if !cert.IsCA || cert.Subject.CommonName != "kubernetes" || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: IsCA=%v CN=%q usage=%b", cert.IsCA, cert.Subject.CommonName, cert.KeyUsage)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("the CA is not self-signed: %v", err)
	}
	if !parseKey(t, ca.pem.key).PublicKey.Equal(cert.PublicKey) {
		t.Error("the CA key does not match its certificate")
	}
	// valid now even with the node's clock an hour behind the host's, for a year
	now := time.Now()
	if !cert.NotBefore.Before(now.Add(-59*time.Minute)) || cert.NotAfter.Before(now.Add(364*24*time.Hour)) {
		t.Errorf("validity %s .. %s", cert.NotBefore, cert.NotAfter)
	}
	other, err := newCA("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	if parseCert(t, other.pem.cert).SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Error("two CAs share a serial number")
	}
}

func TestIssue(t *testing.T) {
	ca, err := newCA("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := newCA("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.issue(certSpec{commonName: "kube-apiserver", dnsNames: []string{"kubernetes", "node.example"},
		ips: []net.IP{net.ParseIP("172.30.99.1")}, server: true})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.issue(certSpec{commonName: "kubernetes-admin", orgs: []string{"system:masters"}})
	if err != nil {
		t.Fatal(err)
	}
	serverCert, clientCert := parseCert(t, server.cert), parseCert(t, client.cert)
	caCert := parseCert(t, ca.pem.cert)

	cases := []struct {
		name    string
		cert    *x509.Certificate
		ca      *x509.Certificate
		usage   x509.ExtKeyUsage
		dnsName string
		ok      bool
	}{
		{"server for a DNS name", serverCert, caCert, x509.ExtKeyUsageServerAuth, "node.example", true},
		{"server for its IP", serverCert, caCert, x509.ExtKeyUsageServerAuth, "172.30.99.1", true},
		{"server for a name it does not hold", serverCert, caCert, x509.ExtKeyUsageServerAuth, "other.example", false},
		{"server used as a client", serverCert, caCert, x509.ExtKeyUsageClientAuth, "", false},
		{"server under another CA", serverCert, parseCert(t, otherCA.pem.cert), x509.ExtKeyUsageServerAuth, "kubernetes", false},
		{"client", clientCert, caCert, x509.ExtKeyUsageClientAuth, "", true},
		{"client used as a server", clientCert, caCert, x509.ExtKeyUsageServerAuth, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := verify(c.cert, c.ca, c.usage, c.dnsName); (err == nil) != c.ok {
				t.Errorf("verify: %v, want ok=%v", err, c.ok)
			}
		})
	}
	if clientCert.Subject.CommonName != "kubernetes-admin" || !slices.Equal(clientCert.Subject.Organization, []string{"system:masters"}) {
		t.Errorf("client subject %v", clientCert.Subject)
	}
	if !parseKey(t, server.key).PublicKey.Equal(serverCert.PublicKey) {
		t.Error("the server key does not match its certificate")
	}
}

func TestServiceAccountKey(t *testing.T) {
	keyPEM, pubPEM, err := serviceAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pemBlock(t, pubPEM, "PUBLIC KEY"))
	if err != nil {
		t.Fatal(err)
	}
	if !parseKey(t, keyPEM).PublicKey.Equal(pub) {
		t.Error("sa.pub is not sa.key's public key")
	}
}

func TestKeyPairFiles(t *testing.T) {
	files := keyPairFiles("/pki", "admin", keyPair{cert: []byte("C"), key: []byte("K")})
	want := []credentialFile{{"/pki/admin.crt", []byte("C"), 0o644}, {"/pki/admin.key", []byte("K"), 0o600}}
	if len(files) != len(want) {
		t.Fatalf("%d files, want %d", len(files), len(want))
	}
	for i := range want {
		if files[i].path != want[i].path || string(files[i].data) != string(want[i].data) || files[i].mode != want[i].mode {
			t.Errorf("file %d = %s %q %o, want %s %q %o", i, files[i].path, files[i].data, files[i].mode,
				want[i].path, want[i].data, want[i].mode)
		}
	}
}
