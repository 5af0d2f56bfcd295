package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testServerCert is a certificate for 127.0.0.1 signed by the test CA that
// setupTestCA installs as the process's only trusted root.
var testServerCert tls.Certificate

// setupTestCA makes a CA and a server certificate signed by it, writes the
// CA to a file and points SSL_CERT_FILE at it. Go's TLS reads the system
// roots once, at first use, so TestMain calls this before any test runs.
func setupTestCA() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "unikernel-test-ca-")
	if err != nil {
		return nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cleanup, err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "unikernel test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return cleanup, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cleanup, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return cleanup, err
	}
	testServerCert = tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	file := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return cleanup, err
	}
	if err := os.Setenv("SSL_CERT_FILE", file); err != nil {
		return cleanup, err
	}
	return cleanup, os.Setenv("SSL_CERT_DIR", dir)
}

func tlsServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testServerCert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Image downloads over https: a certificate from the trusted (test) CA is
// accepted; a certificate from an unknown CA fails with a clear error before
// anything is created; redirects are bounded and never downgrade to http;
// and the size cap holds with and without a Content-Length.
func TestImageSource_https(t *testing.T) {
	if len(testServerCert.Certificate) == 0 {
		t.Fatal("the test CA was not set up by TestMain")
	}
	body := make([]byte, 4096)
	ok := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	ctx := context.Background()
	before := tempLeftovers(t)

	img, err := prepareImage(ctx, ok.URL+"/k.raw", imageChecks{})
	if err != nil {
		t.Fatalf("download from a server with a certificate of the trusted CA: %v", err)
	}
	if img.size != int64(len(body)) {
		t.Errorf("downloaded %d bytes, want %d", img.size, len(body))
	}
	img.Close()

	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(untrusted.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(plain.Close)
	var hops int
	redirects := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			http.Redirect(w, r, plain.URL+"/k.raw", http.StatusFound)
		case "/loop":
			hops++
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/file":
			http.Redirect(w, r, "file:///etc/shadow", http.StatusFound)
		case "/once":
			http.Redirect(w, r, ok.URL+"/k.raw", http.StatusFound)
		}
	}))
	img, err = prepareImage(ctx, redirects.URL+"/once", imageChecks{})
	if err != nil {
		t.Fatalf("one https redirect must be followed: %v", err)
	}
	img.Close()

	old := maxImageDownload
	maxImageDownload = 1024
	t.Cleanup(func() { maxImageDownload = old })
	chunked := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 4; i++ {
			_, _ = w.Write(body[:1024])
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while copying
		}
	}))
	for _, c := range []struct{ url, want string }{
		{untrusted.URL + "/k.raw", "certificate signed by unknown authority"},
		{redirects.URL + "/down", "refused a redirect from https to plain http"},
		{redirects.URL + "/loop", fmt.Sprintf("stopped after %d redirects", maxImageRedirects)},
		{redirects.URL + "/file", "refused a redirect to a file:// URL"},
		{ok.URL + "/k.raw", "more than the limit of 1024"},
		{chunked.URL + "/k.raw", "larger than the limit of 1024 bytes"},
	} {
		_, err := prepareImage(ctx, c.url, imageChecks{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error containing %q, got %v", c.url, c.want, err)
		}
	}
	if hops > maxImageRedirects+1 {
		t.Errorf("followed %d redirects", hops)
	}
	if after := tempLeftovers(t); len(after) != len(before) {
		t.Errorf("temporary download files left behind: %v", after)
	}
}
