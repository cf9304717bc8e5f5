package hl7_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"yigong/conformance/peer"
	"yigong/hl7v2"
	"yigong/server"
	"yigong/server/servertest"
)

// TestMLLPOverTLS: an MLLP listener configured with a certificate speaks
// TLS. OpenSSL's s_client (a peer nobody here wrote) delivers an ADT^A01
// over it and gets the AA; a plaintext connection to the same port gets no
// acknowledgement, and nothing of it is stored.
func TestMLLPOverTLS(t *testing.T) {
	t.Parallel()
	openssl := peer.Require(t, "openssl")
	cert, key := selfSigned(t)
	hub := servertest.Start(t, func(c *server.Config) {
		c.MLLP.Listeners[0].TLSCert, c.MLLP.Listeners[0].TLSKey = cert, key
	})
	msg := fmt.Appendf(nil, adtA01, "TLS0001", "MRN-TLS", "王^小东", "ZY-TLS")
	framed := append(append([]byte{0x0b}, msg...), 0x1c, 0x0d)

	cmd := exec.Command(openssl, "s_client", "-connect", hub.MLLPAddr(), "-quiet", "-verify_quiet", "-CAfile", cert)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write(framed)
	deadline := time.Now().Add(20 * time.Second)
	for !bytes.Contains(out.Bytes(), []byte{0x1c, 0x0d}) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	in.Close()
	cmd.Process.Kill()
	cmd.Wait()
	raw := out.Bytes()
	start, end := bytes.IndexByte(raw, 0x0b), bytes.Index(raw, []byte{0x1c, 0x0d})
	if start < 0 || end < start {
		t.Fatalf("no framed ACK over TLS; stdout %q, stderr %s", raw, errOut.String())
	}
	ack, err := hl7v2.Parse(raw[start+1 : end])
	if err != nil {
		t.Fatalf("ACK: %v", err)
	}
	if code, ctl := msa(ack); code != "AA" || ctl != "TLS0001" {
		t.Fatalf("MSA %s|%s, want AA|TLS0001", code, ctl)
	}

	// Plaintext on the TLS port: the handshake fails, no ACK comes back.
	conn, err := net.DialTimeout("tcp", hub.MLLPAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	plain := fmt.Appendf(nil, adtA01, "PLAIN001", "MRN-PLAIN", "李^四", "ZY-PLAIN")
	conn.Write(append(append([]byte{0x0b}, plain...), 0x1c, 0x0d))
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	if bytes.Contains(buf[:n], []byte("MSA|")) {
		t.Errorf("a plaintext message on the TLS port was acknowledged: %q", buf[:n])
	}
	waitDrained(t, hub.URL(""), 1, 30*time.Second)
	if items := inbox(t, hub, ""); len(items) != 1 {
		t.Errorf("inbox holds %d messages, want only the one sent over TLS", len(items))
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key (PEM) and
// returns their paths.
func selfSigned(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yigong-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return certPath, keyPath
}
