// Package exportertest runs the exporter in tests the one way it runs in
// production, as a process of its own: built once per test process,
// started on 127.0.0.1 with the test's flags and environment, stopped with
// SIGTERM and checked for a clean exit. It also runs the other servers the
// tests need (stripe-mock, Prometheus, Alertmanager) and finds the tools
// they come from.
package exportertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// KeyEnv names the environment variable the exporter reads its API key
// from. Start, Launch and Run drop the developer's own from the
// environment, so that only a key the test gives is used.
const KeyEnv = "STRIPE_API_KEY"

// Listening matches the line the exporter logs once it listens, and so do
// Prometheus and Alertmanager, which use the same toolkit; its submatch is
// the address.
var Listening = regexp.MustCompile(`msg="Listening on"[^\n]* address=(127\.0\.0\.1:\d+)`)

// runTimeout bounds Run: an exporter that refuses its flags exits at once.
const runTimeout = 20 * time.Second

var (
	mainRuns bool
	// binDir holds the built exporter; Main removes it.
	binDir string
)

// Main runs the tests, then removes the exporter binary if a test built
// it. Packages that start the exporter call it from TestMain.
func Main(m *testing.M) {
	mainRuns = true
	code := m.Run()
	if binDir != "" {
		if err := os.RemoveAll(binDir); err != nil {
			fmt.Fprintf(os.Stderr, "exportertest: remove the exporter binary: %v\n", err)
		}
	}
	os.Exit(code)
}

// moduleRoot is the folder of the module's go.mod.
var moduleRoot = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: the tests do not run inside the module")
	}
	return filepath.Dir(gomod), nil
})

// build builds the exporter, with the race detector when the tests have
// it, so that the scrape path under concurrent scrapes is checked for races
// as it was when the tests ran the exporter in their own process.
var build = sync.OnceValues(func() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "stripe_exporter-test-")
	if err != nil {
		return "", fmt.Errorf("folder for the exporter binary: %w", err)
	}
	binDir = dir
	bin := filepath.Join(dir, "stripe_exporter")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %w\n%s", root, err, out)
	}
	return bin, nil
})

func binary(t testing.TB) string {
	t.Helper()
	if !mainRuns {
		t.Fatal("exportertest: call exportertest.Main(m) from the package's TestMain, which removes the exporter binary")
	}
	bin, err := build()
	if err != nil {
		t.Fatalf("build the exporter: %v", err)
	}
	return bin
}

// command is the exporter with args, listening on 127.0.0.1:0 unless args
// say where, in the test's environment without KeyEnv, plus env.
func command(t testing.TB, env, args []string) *exec.Cmd {
	t.Helper()
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--web.listen-address=") }) {
		args = append([]string{"--web.listen-address=127.0.0.1:0"}, args...)
	}
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, KeyEnv+"=") }), env...)
	// A race ends the exporter with exit code 66, which fails the test.
	cmd.Env = append(cmd.Env, "GORACE=halt_on_error=1")
	return cmd
}

// Exporter is a running exporter.
type Exporter struct {
	*Process
	Addr string // 127.0.0.1:PORT
	URL  string // http://127.0.0.1:PORT
}

// Start runs the exporter with env (NAME=VALUE) added to its environment
// and args on its command line, and returns once it listens. It is stopped
// when the test ends, if the test has not stopped it, and must have exited
// 0 or the test fails.
func Start(t testing.TB, env []string, args ...string) *Exporter {
	t.Helper()
	p, m := StartProcess(t, command(t, env, args), Listening)
	t.Cleanup(func() {
		if code := p.Stop(); code != 0 {
			t.Errorf("the exporter exited with code %d, want 0; output:\n%s", code, p.Log)
		}
	})
	return &Exporter{Process: p, Addr: m[1], URL: "http://" + m[1]}
}

// Launch runs the exporter as Start does, but returns at once, for a test
// that expects it to stop by itself.
func Launch(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	p, _ := StartProcess(t, command(t, env, args), nil)
	return p
}

// Run runs the exporter as Start does until it exits, and returns its exit
// code and output. An exporter still running after 20s fails the test.
func Run(t testing.TB, env []string, args ...string) (code int, output string) {
	t.Helper()
	p := Launch(t, env, args...)
	code, exited := p.Wait(runTimeout)
	if !exited {
		p.Stop()
		t.Fatalf("the exporter still ran %v after it started; output:\n%s", runTimeout, p.Log)
	}
	return code, p.Log.String()
}
