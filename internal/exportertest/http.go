package exportertest

import (
	"io"
	"net/http"
	"testing"
)

// Get GETs url with the header h (which may be nil) and returns the body.
// An error, or a status other than 200, fails the test but lets it go on,
// so Get may be called from any goroutine.
func Get(t testing.TB, url string, h http.Header) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return ""
	}
	if h != nil {
		req.Header = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("GET %s: read the body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s\n%.1000s", url, resp.Status, b)
	}
	return string(b)
}
