package dicom_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"yigong/conformance/peer"
	"yigong/server"
	"yigong/server/servertest"
)

// pki writes a CA and a server and a client certificate signed by it, as
// PEM files in dir, and returns their paths.
type pki struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yigong test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) (string, string) {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return write(cn+".crt", "CERTIFICATE", der), write(cn+".key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
	}
	p := pki{ca: write("ca.crt", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = leaf(2, "yigong", x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf(3, "modality", x509.ExtKeyUsageClientAuth)
	return p
}

// TestDIMSETLS: dcmtk's echoscu reaches the DIMSE listener over DICOM TLS
// (PS3.15 Annex B, dcmtk's default BCP 195 profile), verifying the hub's
// certificate; without TLS it cannot; with client_ca_file set, a client
// without a certificate is refused and one with a certificate signed by
// that CA is let in.
func TestDIMSETLS(t *testing.T) {
	t.Parallel()
	echoscu := peer.Require(t, "echoscu")
	p := newPKI(t, t.TempDir())
	plain := servertest.Start(t, func(c *server.Config) {
		c.DICOM.TLS.CertFile, c.DICOM.TLS.KeyFile = p.serverCert, p.serverKey
	})
	mutual := servertest.Start(t, func(c *server.Config) {
		c.DICOM.TLS.CertFile, c.DICOM.TLS.KeyFile, c.DICOM.TLS.ClientCAFile = p.serverCert, p.serverKey, p.ca
	})
	cases := []struct {
		name string
		hub  *servertest.Hub
		args []string
		ok   bool
	}{
		{"anonymous TLS client, server verified", plain, []string{"+tla", "+cf", p.ca}, true},
		{"TLS client with certificate", plain, []string{"+tls", p.clientKey, p.clientCert, "+cf", p.ca}, true},
		{"no TLS", plain, nil, false},
		{"server certificate from another CA", plain, []string{"+tla", "+cf", p.clientCert}, false},
		{"client certificate required, none sent", mutual, []string{"+tla", "+cf", p.ca}, false},
		{"client certificate required and sent", mutual, []string{"+tls", p.clientKey, p.clientCert, "+cf", p.ca}, true},
	}
	for _, c := range cases {
		h, port := hostPort(t, c.hub.DICOMAddr())
		args := append(append([]string{"-to", "10", "-ta", "10", "-aec", "YIGONG"}, c.args...), h, port)
		out, err := exec.Command(echoscu, args...).CombinedOutput()
		if (err == nil) != c.ok {
			t.Errorf("%s: echoscu %v: err %v, want success %v\n%s", c.name, args, err, c.ok, out)
		}
	}
}
