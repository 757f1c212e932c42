// Package examplecheck_test checks the operator examples under examples/ (the systemd unit,
// the Prometheus rules and Grafana dashboard, the CI policy in Rego) with the real tools that
// will read them: systemd-analyze, promtool, Open Policy Agent, and a real runner and
// terraform for what the examples assume of them. scripts/install-tools.sh installs the
// Debian tools; a missing tool fails the test.
package examplecheck_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
)

const unitFile = "examples/deploy/systemd/adbmigrate-runner.service"

// The unit passes `systemd-analyze verify` without a warning, keeps the hardening the README
// promises, and scores as well exposed as a hardened service should (`systemd-analyze
// security`, offline). ExecStart points at a runner built from this tree so that verify also
// checks the binary exists and is executable.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := lookTool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile(filepath.Join(repoRoot(t), unitFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DynamicUser=yes", "User=adbmigrate-runner", "StateDirectory=adbmigrate-runner", "Restart=on-failure",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"--data-dir ${STATE_DIRECTORY}", "ExecStart=/usr/local/bin/adbmigrate-runner ",
	} {
		if !strings.Contains(string(unit), "\n"+want) && !strings.Contains(string(unit), want) {
			t.Errorf("%s lacks %s", unitFile, want)
		}
	}
	bin := runnertest.Binary(t)
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "adbmigrate-runner ") {
		t.Errorf("adbmigrate-runner --version: %v: %q", err, out)
	}
	path := filepath.Join(t.TempDir(), "adbmigrate-runner.service")
	local := strings.ReplaceAll(string(unit), "/usr/local/bin/adbmigrate-runner", bin)
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify %s: %v (it must pass without any message):\n%s", unitFile, err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--no-pager", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("systemd-analyze security rates the unit's exposure %.1f, want at most 2.0 (OK):\n%s", level, out)
	}
}

// lookTool returns the path of a tool that scripts/install-tools.sh installs, failing the
// test when it is missing.
func lookTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/bin", "/usr/sbin", "/bin"} {
			if p := filepath.Join(dir, name); isExecutable(p) {
				return p
			}
		}
		t.Fatalf("%s is not installed: run scripts/install-tools.sh (apt-get install %s)", name, debianPackage)
	}
	return path
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&0o111 != 0
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
