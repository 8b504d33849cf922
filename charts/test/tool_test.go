package charttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// repoRoot is the exporter's repository, seen from this package's
// directory, where go test runs it.
const repoRoot = "../.."

// requireToolsEnv set to 1, as `make chart-test` does, or CI=true makes a
// missing tool fail the test instead of skipping it, as in the exporter's
// own module (internal/exportertest, which this module cannot import).
const requireToolsEnv = "STRIPE_EXPORTER_REQUIRE_TOOLS"

// tool returns the path of the program command: $envVar if set, else
// .tools/command-*/command in the repository, where the Makefile installs
// it, else command on $PATH. If there is none, the test is skipped, or fails
// where tools are required, with a message that says how to get it.
func tool(t testing.TB, envVar, command, install string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	if ps, _ := filepath.Glob(filepath.Join(repoRoot, ".tools", command+"-*", command)); len(ps) > 0 {
		p, err := filepath.Abs(ps[len(ps)-1])
		if err != nil {
			t.Fatalf("look for %s: %v", command, err)
		}
		return p
	}
	if p, err := exec.LookPath(command); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (set %s to its path, or put it on PATH): %s", command, envVar, install)
	if os.Getenv("CI") == "true" || os.Getenv(requireToolsEnv) == "1" {
		t.Fatalf("%s; with CI=true or %s=1 (make chart-test) a missing tool fails the test", msg, requireToolsEnv)
	}
	t.Skip(msg)
	return ""
}

func helmPath(t testing.TB) string {
	return tool(t, "HELM", "helm", "run `make chart-test`, which installs the pinned helm into .tools/")
}

func promtoolPath(t testing.TB) string {
	return tool(t, "PROMTOOL", "promtool", "install Debian's prometheus package")
}
