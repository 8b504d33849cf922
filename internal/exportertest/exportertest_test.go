package exportertest

import (
	"fmt"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

func TestLogBufferWait(t *testing.T) {
	var l LogBuffer
	go func() {
		for i := range 5 {
			fmt.Fprintf(&l, "line %d\n", i)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	if m := l.Wait(regexp.MustCompile(`line (4)`), 10*time.Second); m == nil || m[1] != "4" {
		t.Errorf("Wait = %q, want the last line's number", m)
	}
	if m := l.Wait(regexp.MustCompile(`line 5`), 50*time.Millisecond); m != nil {
		t.Errorf("Wait for a line never written = %q, want nil", m)
	}
	l.close()
	start := time.Now()
	if m := l.Wait(regexp.MustCompile(`line 5`), 10*time.Second); m != nil || time.Since(start) > 5*time.Second {
		t.Errorf("Wait on ended output = %q after %v, want nil at once", m, time.Since(start))
	}
}

func TestProcessStop(t *testing.T) {
	// Absolute paths: a fresh machine's $PATH may hold only Go.
	cmd := exec.Command("/bin/sh", "-c", `trap 'echo bye; exit 3' TERM; echo ready on 127.0.0.1:1; while :; do /bin/sleep 0.05; done`)
	p, m := StartProcess(t, cmd, regexp.MustCompile(`ready on (\S+)`))
	if m[1] != "127.0.0.1:1" {
		t.Errorf("submatch %q, want 127.0.0.1:1", m[1])
	}
	if _, exited := p.Wait(0); exited {
		t.Fatal("the process exited before it was stopped")
	}
	if code := p.Stop(); code != 3 {
		t.Errorf("Stop = %d, want the exit code 3", code)
	}
	if code := p.Stop(); code != 3 {
		t.Errorf("second Stop = %d, want 3 again", code)
	}
	if l := p.Log.String(); l != "ready on 127.0.0.1:1\nbye\n" {
		t.Errorf("output %q", l)
	}
}

func TestToolMissingSkips(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(RequireToolsEnv, "")
	t.Setenv("EXPORTERTEST_FOUND", "/opt/found")
	if p := Tool(t, "EXPORTERTEST_FOUND", "found", "install it"); p != "/opt/found" {
		t.Errorf("Tool = %q, want the path in its variable", p)
	}
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Tool(t, "EXPORTERTEST_MISSING", "no-such-tool-for-exportertest", "install it")
	})
	if !skipped {
		t.Error("a missing tool did not skip the test")
	}
}

// TestToolsRequired: under CI=true or `make test` a missing tool fails the
// test rather than skipping it.
func TestToolsRequired(t *testing.T) {
	for _, tc := range []struct {
		ci, require string
		want        bool
	}{
		{"", "", false},
		{"true", "", true},
		{"", "1", true},
		{"false", "0", false},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv(RequireToolsEnv, tc.require)
		if got := toolsRequired(); got != tc.want {
			t.Errorf("with CI=%q and %s=%q, tools required = %v, want %v", tc.ci, RequireToolsEnv, tc.require, got, tc.want)
		}
	}
}
