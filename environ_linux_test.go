package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// TestEnvironNotReadableByOthers: with STRIPE_API_KEY, the key is in the
// exporter's environment, which /proc shows to its own user and root alone.
// Root reads it, as a control; the user nobody (65534) is refused.
func TestEnvironNotReadableByOthers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to read the environment as another user")
	}
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	e := startExporter(t, fake, stripetest.Key)
	environ := fmt.Sprintf("/proc/%d/environ", e.PID)

	out, err := exec.Command("cat", environ).CombinedOutput()
	if err != nil || !strings.Contains(string(out), stripetest.Key) {
		t.Fatalf("root cannot read the key in %s (%v): the test sees nothing", environ, err)
	}

	cmd := exec.Command("cat", environ)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err = cmd.CombinedOutput()
	if err == nil || strings.Contains(string(out), stripetest.Key) || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("user 65534 reading %s: %v, %q; want Permission denied", environ, err, out)
	}
}
