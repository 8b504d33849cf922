package exportertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireToolsEnv set to 1, as `make unit` and `make e2e` do, or CI=true
// makes a missing tool fail the test instead of skipping it.
const RequireToolsEnv = "STRIPE_EXPORTER_REQUIRE_TOOLS"

// Tool returns the path of the program command: $envVar if set, else
// .tools/command-*/command in the module, where `make tools` installs, else
// command on $PATH. If there is none, the test is skipped, or fails where
// tools are required, with a message that says how to get it: install,
// such as "run `make tools`".
func Tool(t testing.TB, envVar, command, install string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("look for %s: %v", command, err)
	}
	if ps, _ := filepath.Glob(filepath.Join(root, ".tools", command+"-*", command)); len(ps) > 0 {
		return ps[len(ps)-1]
	}
	if p, err := exec.LookPath(command); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (set %s to its path, or put it on PATH): %s", command, envVar, install)
	if toolsRequired() {
		t.Fatalf("%s; with CI=true or %s=1 (make test) a missing tool fails the test", msg, RequireToolsEnv)
	}
	t.Skip(msg)
	return ""
}

func toolsRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv(RequireToolsEnv) == "1"
}
