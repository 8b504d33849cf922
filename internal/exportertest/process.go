package exportertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds the wait for a server's ready line: stripe-mock
	// loads Stripe's whole OpenAPI spec first.
	readyTimeout = 60 * time.Second
	// stopTimeout bounds the wait for an exit after SIGTERM. The exporter
	// lets scrapes in progress finish first.
	stopTimeout = 30 * time.Second
)

// Process is a server a test started.
type Process struct {
	PID int
	// Log is what the process wrote to standard output and error.
	Log *LogBuffer

	t    testing.TB
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	stop sync.Once
}

// StartProcess starts cmd, its standard output and error going to a
// LogBuffer. If ready is not nil, it waits up to a minute for ready to
// match that output and returns the submatches; the test fails if the
// process exits or the minute passes first. The process is stopped when
// the test ends, and its output logged if the test failed.
func StartProcess(t testing.TB, cmd *exec.Cmd, ready *regexp.Regexp) (*Process, []string) {
	t.Helper()
	p := &Process{Log: &LogBuffer{}, t: t, name: filepath.Base(cmd.Path), cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.PID = cmd.Process.Pid
	go func() {
		// The error is in cmd.ProcessState, which Wait reads.
		_ = cmd.Wait()
		p.Log.close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, p.Log)
		}
	})
	if ready == nil {
		return p, nil
	}
	m := p.Log.Wait(ready, readyTimeout)
	if m == nil {
		if code, exited := p.Wait(0); exited {
			t.Fatalf("%s exited with code %d before it wrote a line matching %s; output:\n%s", p.name, code, ready, p.Log)
		}
		t.Fatalf("%s did not write a line matching %s within %v; output:\n%s", p.name, ready, readyTimeout, p.Log)
	}
	return p, m
}

// Wait waits up to d for the process to exit, and returns its exit code
// (-1 if a signal ended it) and whether it has exited.
func (p *Process) Wait(d time.Duration) (code int, exited bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	default:
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	case <-timer.C:
		return 0, false
	}
}

// Stop sends the process SIGTERM, unless it has exited, and returns its
// exit code once it has. If it has not exited 30s later, it is killed and
// the test fails. Later calls return the same code.
func (p *Process) Stop() int {
	p.stop.Do(func() {
		if _, exited := p.Wait(0); !exited {
			// An error means it has just exited.
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
		if _, exited := p.Wait(stopTimeout); !exited {
			_ = p.cmd.Process.Kill()
			<-p.done
			p.t.Errorf("%s still ran %v after SIGTERM and was killed; output:\n%s", p.name, stopTimeout, p.Log)
		}
	})
	code, _ := p.Wait(0)
	return code
}

// StatusKB reads one of the kB fields of /proc/PID/status, such as VmRSS.
func (p *Process) StatusKB(t testing.TB, field string) int64 {
	t.Helper()
	path := fmt.Sprintf("/proc/%d/status", p.PID)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			return kb
		}
	}
	t.Fatalf("no %s in %s", field, path)
	return 0
}

// LogBuffer holds a process's output as it comes, for any goroutine to
// read or wait on.
type LogBuffer struct {
	mu     sync.Mutex
	text   []byte
	grown  chan struct{} // closed by the next write, if a Wait made it
	closed bool          // no more output will come
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = append(l.text, p...)
	l.wake()
	return len(p), nil
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.text)
}

// Wait waits up to d for re to match the output and returns the
// submatches, or nil if d passes or the output ends first.
func (l *LogBuffer) Wait(re *regexp.Regexp, d time.Duration) []string {
	timeout := time.After(d)
	for {
		l.mu.Lock()
		m := re.FindStringSubmatch(string(l.text))
		if l.grown == nil {
			l.grown = make(chan struct{})
		}
		grown, closed := l.grown, l.closed
		l.mu.Unlock()
		switch {
		case m != nil:
			return m
		case closed:
			return nil
		}
		select {
		case <-grown:
		case <-timeout:
			return nil
		}
	}
}

func (l *LogBuffer) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.wake()
}

// wake lets Wait look at the output again; l.mu is held.
func (l *LogBuffer) wake() {
	if l.grown != nil {
		close(l.grown)
		l.grown = nil
	}
}

// FreeAddr returns an address of 127.0.0.1 whose port was free a moment
// ago, for a test that must name the address a server listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}
