package stripetest

import (
	"net/http"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// The scale test's rate check is only as good as this count.
func TestPeakPerSecond(t *testing.T) {
	s := New(t)
	s.SetBalance("", Balance)
	for range 5 {
		call(t, s, "/v1/balance")
	}
	time.Sleep(1100 * time.Millisecond)
	for range 3 {
		call(t, s, "/v1/balance")
	}
	if got := s.PeakPerSecond(); got != 5 {
		t.Errorf("PeakPerSecond = %d after 5 quick calls, a pause of over a second and 3 more; want 5", got)
	}
}

func TestSetDelayHoldsAnswers(t *testing.T) {
	s := New(t)
	s.SetBalance("", Balance)
	s.SetDelay(200 * time.Millisecond)
	start := time.Now()
	if resp := call(t, s, "/v1/balance"); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("answer came after %v, want at least the 200ms delay", took)
	}
}
