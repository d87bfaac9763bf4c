//go:build unix

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dbscCookieMaxAge is the bound cookie's lifetime in the DBSC lane: the
// shortest ginsession takes, so the run waits for it to expire twice.
const dbscCookieMaxAge = 10 * time.Second

// dbscConfig is what dbsc.mjs reads from $E2E_CONFIG.
type dbscConfig struct {
	Chromium    string             `json:"chromium"`
	Artifacts   string             `json:"artifacts"`
	SPKI        string             `json:"spki"`     // base64 SHA-256 of the certificate's SPKI
	Profiles    []string           `json:"profiles"` // user data dirs: the browser, and the thief's
	AccessTTLMs int64              `json:"accessTtlMs"`
	BoundMaxMs  int64              `json:"boundMaxAgeMs"`
	Servers     map[string]*server `json:"servers"`
}

// TestRealBrowserDeviceBound is the Device Bound Session Credentials lane:
// the SDK page in Chromium with DBSC turned on (software keys), over HTTPS
// with a certificate made here and trusted by its SPKI hash, against the
// example with -device-bound-sessions and, as the control, without it.
// dbsc.mjs checks that the browser registers, that its refresh after the
// bound cookie expired succeeds with a proof (no extra 401), and that the
// cookies copied into another profile, which has no key, cannot refresh,
// where the same copy refreshes on the control server.
func TestRealBrowserDeviceBound(t *testing.T) {
	if only := os.Getenv("E2E_ONLY"); only != "" && !strings.Contains(only, "dbsc") {
		t.Skip("E2E_ONLY does not name dbsc")
	}
	here, root := browserSuite(t)
	tmp := t.TempDir()
	certFile, keyFile, spki, pool := selfSignedCert(t, tmp)
	bin, site := buildSite(t, root, here, tmp, nil)

	artifacts := os.Getenv("E2E_ARTIFACTS")
	if artifacts == "" {
		var err error
		if artifacts, err = os.MkdirTemp("", "ginsession-e2e-dbsc-"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	ports := freePorts(t, 2)
	var servers []*server
	for i, name := range []string{"bound", "plain"} {
		s := &server{
			Name:      name,
			Origin:    fmt.Sprintf("https://localhost:%d", ports[i]),
			Direct:    fmt.Sprintf("https://127.0.0.1:%d", ports[i]),
			port:      ports[i],
			Log:       filepath.Join(tmp, name+".log"),
			tlsConfig: &tls.Config{RootCAs: pool},
		}
		s.args = []string{
			"-addr", fmt.Sprintf("127.0.0.1:%d", ports[i]),
			"-db", filepath.Join(tmp, name+".db"),
			"-api-domain", s.Origin,
			"-access-ttl", accessTTL.String(),
			"-static-dir", site,
			"-tls-cert", certFile, "-tls-key", keyFile,
			"-test-hooks",
		}
		if name == "bound" {
			s.args = append(s.args, "-device-bound-sessions", "-dbsc-cookie-max-age", dbscCookieMaxAge.String())
		}
		servers = append(servers, s)
	}
	startServers(t, bin, servers)

	cfg := dbscConfig{
		Chromium: chromiumPath, Artifacts: artifacts, SPKI: spki,
		Profiles:    []string{filepath.Join(tmp, "profile-browser"), filepath.Join(tmp, "profile-thief")},
		AccessTTLMs: accessTTL.Milliseconds(), BoundMaxMs: dbscCookieMaxAge.Milliseconds(),
		Servers: map[string]*server{},
	}
	for _, s := range servers {
		cfg.Servers[s.Name] = s
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Node's own requests (the servers' /test/stats) trust the certificate
	// through NODE_EXTRA_CA_CERTS; Chromium through its SPKI hash.
	t.Setenv("NODE_EXTRA_CA_CERTS", certFile)
	if err := runDriverScript(t, here, "dbsc.mjs", enc); err != nil {
		for _, s := range servers {
			t.Logf("--- last lines of %s (%s)\n%s", s.Name, s.Origin, tail(s.Log, 25))
		}
		t.Fatalf("driver: %v", err)
	}
}

// selfSignedCert makes a certificate for localhost and 127.0.0.1 valid for
// an hour, writes it and its key as PEM files, and returns them with the
// base64 SHA-256 of its SubjectPublicKeyInfo (what Chromium's
// --ignore-certificate-errors-spki-list takes) and a pool trusting it.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile, spki string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// Self-signed: it is its own issuer, which Node's CA list needs.
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, base64.StdEncoding.EncodeToString(sum[:]), pool
}
