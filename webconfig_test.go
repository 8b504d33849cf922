package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// The basic-auth user of the web config tests and the bcrypt hash of its
// password. The hash is written out rather than made in the test so that
// golang.org/x/crypto stays an indirect dependency; it was made with
// bcrypt.GenerateFromPassword([]byte(webPassword), bcrypt.MinCost), a low
// cost that keeps the test fast.
const (
	webUser     = "prometheus"
	webPassword = "scrape-secret"
	webHash     = "$2a$04$Ydj2q/vbWgRAOTEXTRawpOXv7pmAOj1oiyCc3xuKabuTt2KMlowNm"
)

// writeSelfSignedCert writes a self-signed certificate for 127.0.0.1 and its
// key to dir as server.crt and server.key, and returns a pool that trusts it.
func writeSelfSignedCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	cert, pool := stripetest.Certificate(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"server.crt": {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		"server.key": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return pool
}

// writeWebConfig writes an exporter-toolkit web config to dir and returns
// its path. The certificate and key are named relative to the file, which
// the toolkit resolves against the file's directory.
func writeWebConfig(t *testing.T, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "web-config.yml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const tlsAndAuthConfig = `tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  ` + webUser + `: '` + webHash + `'
`

type webResponse struct {
	status int
	header http.Header
	body   string
}

// fetch GETs url with client, with basic auth when user is not empty.
func fetch(t *testing.T, client *http.Client, url, user, password string) (webResponse, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return webResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return webResponse{}, err
	}
	return webResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	const account = "acct_1Probed"
	dir := t.TempDir()
	pool := writeSelfSignedCert(t, dir)
	configFile := writeWebConfig(t, dir, tlsAndAuthConfig)

	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(account, stripetest.ConnectedBalance)
	e := startExporter(t, fake, stripetest.Key, "--web.config.file="+configFile, "--probe.allow-any-account")
	base := "https://" + e.Addr
	// The toolkit says so just after it listens.
	if e.Log.Wait(regexp.MustCompile(`TLS is enabled\.`), 10*time.Second) == nil {
		t.Errorf("the exporter does not say TLS is enabled; logs:\n%s", e.Log)
	}

	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	t.Cleanup(client.CloseIdleConnections)

	// The right password over HTTPS.
	r, err := fetch(t, client, base+"/metrics", webUser, webPassword)
	if err != nil {
		t.Fatalf("HTTPS scrape with the right password: %v", err)
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, `stripe_up{account="self"} 1`) {
		t.Errorf("HTTPS scrape with the right password: %d, want 200 with stripe_up 1:\n%.2000s", r.status, r.body)
	}
	r, err = fetch(t, client, base+"/probe?account="+account, webUser, webPassword)
	if err != nil {
		t.Fatalf("HTTPS probe with the right password: %v", err)
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, `stripe_up{account="`+account+`"} 1`) {
		t.Errorf("HTTPS probe with the right password: %d, want 200 with stripe_up 1:\n%.2000s", r.status, r.body)
	}
	balanceCalls := fake.Calls(stripetest.BalanceRoute("")) + fake.Calls(stripetest.BalanceRoute(account))

	// Everything else is refused: wrong password, unknown user, none, on
	// every path.
	for _, path := range []string{"/metrics", "/probe?account=" + account, "/"} {
		for _, tc := range []struct{ name, user, password string }{
			{"wrong password", webUser, "not-" + webPassword},
			{"unknown user", "admin", webPassword},
			{"empty password", webUser, ""},
			{"no credentials", "", ""},
		} {
			r, err := fetch(t, client, base+path, tc.user, tc.password)
			if err != nil {
				t.Errorf("%s with %s: %v", path, tc.name, err)
				continue
			}
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s with %s: %d, want 401:\n%.500s", path, tc.name, r.status, r.body)
			}
			if strings.Contains(r.body, "stripe_") {
				t.Errorf("%s with %s: the answer holds metrics:\n%.500s", path, tc.name, r.body)
			}
			if tc.user == "" && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("%s with %s: WWW-Authenticate is %q, want a Basic challenge", path, tc.name, r.header.Get("WWW-Authenticate"))
			}
		}
	}
	if n := fake.Calls(stripetest.BalanceRoute("")) + fake.Calls(stripetest.BalanceRoute(account)); n != balanceCalls {
		t.Errorf("refused scrapes made %d calls to Stripe, want none", n-balanceCalls)
	}

	// Plain HTTP to the TLS port, even with the right password, gets no
	// metrics: Go's TLS server answers 400 to a request in clear text.
	r, err = fetch(t, &http.Client{Timeout: 30 * time.Second}, "http://"+e.Addr+"/metrics", webUser, webPassword)
	switch {
	case err != nil:
		t.Logf("plain HTTP to the TLS port: %v", err)
	case r.status == http.StatusOK || strings.Contains(r.body, "stripe_"):
		t.Errorf("plain HTTP to the TLS port was answered %d with metrics:\n%.500s", r.status, r.body)
	default:
		t.Logf("plain HTTP to the TLS port: %d %q", r.status, strings.TrimSpace(r.body))
		if r.status != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port: %d, want 400", r.status)
		}
	}

	// A client that does not trust the certificate stops at the handshake:
	// the exporter serves the configured certificate, not one of its own.
	_, err = fetch(t, &http.Client{Timeout: 30 * time.Second}, base+"/metrics", webUser, webPassword)
	var unknownAuthority x509.UnknownAuthorityError
	if !errors.As(err, &unknownAuthority) {
		t.Errorf("HTTPS without trusting the test certificate: %v, want an unknown-authority error", err)
	}

	if code := e.Stop(); code != 0 {
		t.Errorf("exit code %d after shutdown, want 0; logs:\n%s", code, e.Log)
	}
	if strings.Contains(e.Log.String(), webPassword) {
		t.Error("the basic-auth password is in the logs")
	}
}

// badWebConfigs are web configs the exporter cannot use, and what its logs
// must mention about each besides the file's name.
func badWebConfigs(t *testing.T) []struct{ name, file, mention string } {
	dir := t.TempDir()
	writeSelfSignedCert(t, dir)
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return []struct{ name, file, mention string }{
		{"missing file", filepath.Join(dir, "does-not-exist.yml"), "no such file"},
		{"not YAML", write("garbage.yml", "tls_server_config: [\n"), "yaml"},
		{"unknown field", write("typo.yml", "tls_server_confg:\n  cert_file: server.crt\n  key_file: server.key\n"), "tls_server_confg"},
		{"password not hashed", write("plain.yml", "basic_auth_users:\n  "+webUser+": "+webPassword+"\n"), "bcrypt"},
		{"missing certificate", write("nocert.yml", "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"), "nope.crt"},
		{"certificate without key", write("nokey.yml", "tls_server_config:\n  cert_file: server.crt\n"), "key_file"},
	}
}

// runWithWebConfig runs the exporter with --web.config.file=file and
// returns its exit code and logs. The exporter must stop by itself: if it
// is still running after 10s, the test fails, after checking whether it
// serves metrics to anyone.
func runWithWebConfig(t *testing.T, file string) (int, string) {
	t.Helper()
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	p := exportertest.Launch(t, []string{keyEnv + "=" + stripetest.Key}, "--stripe.api-url="+fake.URL, "--web.config.file="+file)
	if code, exited := p.Wait(10 * time.Second); exited {
		if n := fake.Calls(stripetest.BalanceRoute("")); n != 0 {
			t.Errorf("%d balance calls, want none", n)
		}
		return code, p.Log.String()
	}
	if m := exportertest.Listening.FindStringSubmatch(p.Log.String()); m != nil {
		if r, err := fetch(t, &http.Client{Timeout: 5 * time.Second}, "http://"+m[1]+"/metrics", "", ""); err == nil {
			t.Errorf("plain HTTP without credentials answered %d:\n%.300s", r.status, r.body)
		}
	}
	t.Fatalf("still running 10s after start with web config %s; logs:\n%s", file, p.Log)
	return 0, ""
}

// TestWebConfigInvalidFailsStartup checks that a web config the exporter
// cannot use stops it at start-up with an error, rather than leaving it
// serving without TLS or basic auth.
func TestWebConfigInvalidFailsStartup(t *testing.T) {
	for _, tc := range badWebConfigs(t) {
		t.Run(tc.name, func(t *testing.T) {
			code, logs := runWithWebConfig(t, tc.file)
			if code == 0 {
				t.Errorf("exit code 0, want non-zero; logs:\n%s", logs)
			}
			if !strings.Contains(logs, "level=error") || !strings.Contains(logs, tc.mention) {
				t.Errorf("no error mentioning %q logged:\n%s", tc.mention, logs)
			}
			if tc.name == "missing file" && !strings.Contains(logs, tc.file) {
				t.Errorf("logs do not name %s:\n%s", tc.file, logs)
			}
		})
	}
}

// TestWebConfigErrorNamesFile checks that the start-up error for an unusable
// web config names the flag and the file, as the exporter does for its other
// bad values, before it listens at all.
func TestWebConfigErrorNamesFile(t *testing.T) {
	for _, tc := range badWebConfigs(t) {
		t.Run(tc.name, func(t *testing.T) {
			code, logs := runWithWebConfig(t, tc.file)
			if code == 0 {
				t.Errorf("exit code 0, want non-zero; logs:\n%s", logs)
			}
			for _, w := range []string{"--web.config.file", tc.file} {
				if !strings.Contains(logs, w) {
					t.Errorf("logs do not mention %q:\n%s", w, logs)
				}
			}
			if strings.Contains(logs, "Listening on") {
				t.Errorf("the exporter listened before refusing its web config:\n%s", logs)
			}
		})
	}
}
