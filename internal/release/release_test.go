// Package release_test tests the release artifacts the way a user meets them: goreleaser
// builds a snapshot from .goreleaser.yml, and a fresh `terraform init` installs the provider
// zip from a filesystem mirror, with no dev_overrides, before plan and apply run against a
// real runner and two MariaDB servers, and the lock file it writes holds the zip's
// checksum.
package release_test

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tfaddr "github.com/hashicorp/terraform-registry-address"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

// goreleaser is the pinned goreleaser the GNUmakefile runs.
const goreleaser = "github.com/goreleaser/goreleaser/v2@v2.15.1"

// providerSource is the provider's source address, as configurations write it.
const providerSource = "adbmigrate/adbmigrate"

// artifact is one entry of goreleaser's dist/artifacts.json.
type artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"`
}

// snapshot builds a snapshot for this machine's platform only (to keep the test short;
// make release-snapshot builds all four) into a temporary dist directory, and returns that
// directory, the version and the artifacts.
func snapshot(t *testing.T) (dist, version string, artifacts []artifact) {
	t.Helper()
	testtier.RequireSlowProgram(t, "goreleaser through go run")
	root := repoRoot(t)
	dist = t.TempDir()
	// The config with dist pointed elsewhere, so the test leaves the user's dist/ alone.
	cfg, err := os.ReadFile(filepath.Join(root, ".goreleaser.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Only this machine's platform: goreleaser's --single-target exists for build, not for
	// release, so both builds' platform lists are narrowed in the copy.
	text := string(cfg)
	for old, repl := range map[string]string{"goos: [linux, darwin]": "goos: [" + runtime.GOOS + "]", "goarch: [amd64, arm64]": "goarch: [" + runtime.GOARCH + "]"} {
		if n := strings.Count(text, old); n != 2 {
			t.Fatalf(".goreleaser.yml has %q %d times, want 2 (one per build): update this test with it", old, n)
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	cfgPath := filepath.Join(t.TempDir(), "goreleaser.yml")
	if err := os.WriteFile(cfgPath, []byte(text+"\ndist: "+dist+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("go", "run", goreleaser, "release", "--snapshot", "--clean", "--skip=sign", "--config", cfgPath)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("goreleaser release --snapshot: %v\n%s", err, out)
	}
	t.Logf("goreleaser snapshot built in %s", time.Since(start).Round(time.Second))

	var meta struct {
		Version string `json:"version"`
	}
	readJSON(t, filepath.Join(dist, "metadata.json"), &meta)
	readJSON(t, filepath.Join(dist, "artifacts.json"), &artifacts)
	if meta.Version == "" {
		t.Fatalf("%s/metadata.json names no version", dist)
	}
	return dist, meta.Version, artifacts
}

func TestSnapshotInstallsFromFilesystemMirror(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: this test runs the real terraform CLI (>= 1.11)")
	}
	dist, version, artifacts := snapshot(t)

	// The release holds the provider zip for this platform, a runner archive, the manifest
	// and SHA256SUMS listing the zip with its hash.
	zipName := fmt.Sprintf("terraform-provider-adbmigrate_%s_%s_%s.zip", version, runtime.GOOS, runtime.GOARCH)
	runnerName := fmt.Sprintf("adbmigrate-runner_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
	sumsName := fmt.Sprintf("terraform-provider-adbmigrate_%s_SHA256SUMS", version)
	manifestName := fmt.Sprintf("terraform-provider-adbmigrate_%s_manifest.json", version)
	for _, name := range []string{zipName, runnerName, sumsName} {
		if !hasArtifact(artifacts, name) {
			t.Fatalf("goreleaser made no %s; artifacts: %v", name, artifactNames(artifacts))
		}
	}
	zipPath := filepath.Join(dist, zipName)
	sums := readSums(t, filepath.Join(dist, sumsName))
	zipSum := fileSHA256(t, zipPath)
	if sums[zipName] != zipSum {
		t.Fatalf("SHA256SUMS gives %s for %s, the file hashes to %s", sums[zipName], zipName, zipSum)
	}
	if _, ok := sums[manifestName]; !ok {
		t.Errorf("SHA256SUMS does not list %s: %v", manifestName, sums)
	}
	var manifest struct {
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	readJSON(t, filepath.Join(repoRoot(t), "terraform-registry-manifest.json"), &manifest)
	if got := manifest.Metadata.ProtocolVersions; len(got) != 1 || got[0] != "6.0" {
		t.Errorf("terraform-registry-manifest.json protocol_versions = %v, want [6.0]", got)
	}

	// A packed filesystem mirror: HOSTNAME/NAMESPACE/TYPE/the zip, the hostname being the
	// one Terraform gives the source address.
	addr, err := tfaddr.ParseProviderSource(providerSource)
	if err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	dir := filepath.Join(mirror, addr.Hostname.String(), addr.Namespace, addr.Type)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(zipPath, filepath.Join(dir, zipName)); err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(t.TempDir(), "cli.tfrc")
	writeFile(t, cliConfig, fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = [%q]
  }
}
`, mirror, providerSource))

	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(8,2))",
		"INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), seq / 4 FROM shop.seq_1_to_500")
	r := runnertest.Start(t)

	work := t.TempDir()
	writeFile(t, filepath.Join(work, "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    adbmigrate = {
      source  = %q
      version = %q
    }
  }
}

provider "adbmigrate" {}

resource "adbmigrate_connection" "source" {
  name          = "source"
  database_type = "mariadb"
  host          = %q
  port          = %d
  username      = %q
  password      = %q
}

resource "adbmigrate_connection" "destination" {
  name          = "destination"
  database_type = "mariadb"
  host          = %q
  port          = %d
  username      = %q
  password      = %q
}

resource "adbmigrate_migration_task" "copy" {
  name                      = "installed-from-mirror"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  object {
    database  = "shop"
    rename_to = "shop_copy"
  }
}

output "status" {
  value = adbmigrate_migration_task.copy.status
}
`, providerSource, version, src.Host, src.Port, src.User, src.Password, dst.Host, dst.Port, dst.User, dst.Password))

	env := []string{
		"TF_CLI_CONFIG_FILE=" + cliConfig,
		"TF_PLUGIN_CACHE_DIR=",
		"TF_DATA_DIR=" + filepath.Join(work, ".terraform"),
		"TF_IN_AUTOMATION=1",
		"ADBMIGRATE_ENDPOINT=" + r.Endpoint,
		"ADBMIGRATE_TOKEN=" + r.Token,
	}
	initOut := terraform(t, work, env, "init", "-input=false", "-no-color")
	if !strings.Contains(initOut, "Installed "+providerSource+" v"+version) {
		t.Errorf("terraform init did not say it installed %s v%s:\n%s", addr, version, initOut)
	}
	if strings.Contains(initOut, "dev_overrides") || strings.Contains(initOut, "Provider development overrides") {
		t.Errorf("terraform init ran with development overrides:\n%s", initOut)
	}

	// The lock file pins the version and the h1: checksum of the zip's contents, computed here
	// independently (the zip itself is the one SHA256SUMS lists, checked above). From a
	// filesystem mirror Terraform records h1: only; the zh: hashes of SHA256SUMS come from a
	// registry.
	lockPath := filepath.Join(work, ".terraform.lock.hcl")
	lock, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatalf("terraform init wrote no lock file: %v", err)
	}
	h1, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("provider %q", addr.String()),
		fmt.Sprintf("version     = %q", version),
		fmt.Sprintf("%q", h1),
	} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("the lock file lacks %s:\n%s", want, lock)
		}
	}

	// The installed binary is the release's, with its version.
	installed := filepath.Join(work, ".terraform", "providers", addr.Hostname.String(), addr.Namespace, addr.Type, version,
		runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-adbmigrate_v"+version)
	if out, err := exec.Command(installed, "--version").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "terraform-provider-adbmigrate "+version {
		t.Errorf("%s --version: %v: %q, want %q", installed, err, out, "terraform-provider-adbmigrate "+version)
	}

	terraform(t, work, env, "plan", "-input=false", "-no-color", "-out=tfplan")
	terraform(t, work, env, "apply", "-input=false", "-no-color", "tfplan")
	if got := strings.TrimSpace(terraform(t, work, env, "output", "-raw", "status")); got != "Completed" {
		t.Errorf("task status after apply = %q, want Completed", got)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM shop.items ORDER BY id", "SELECT * FROM shop_copy.items ORDER BY id")
	if out := terraform(t, work, env, "plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(out, "No changes.") {
		t.Errorf("plan after apply is not empty:\n%s", out)
	}

	// The lock file holds: a zip in the mirror that differs from the locked one is refused
	// by a fresh init.
	if err := os.RemoveAll(filepath.Join(work, ".terraform")); err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, zipName)
	if err := os.Remove(tampered); err != nil {
		t.Fatal(err)
	}
	writeZip(t, tampered, "terraform-provider-adbmigrate_v"+version, []byte("#!/bin/sh\necho not the provider\n"))
	cmd := exec.Command("terraform", "init", "-input=false", "-no-color")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "checksum") {
		t.Errorf("terraform init with a different zip in the mirror: %v, want a checksum error:\n%s", err, out)
	}
}

// writeZip writes a zip holding one executable file.
func writeZip(t *testing.T, path, name string, content []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err == nil {
		_, err = w.Write(content)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// terraform runs the terraform CLI in dir with env added and returns its output; an error
// fails the test.
func terraform(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("terraform", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func hasArtifact(as []artifact, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

func artifactNames(as []artifact) []string {
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
	}
	return names
}

// readSums parses a SHA256SUMS file: "HEX  NAME" lines.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			t.Fatalf("%s: line %q is not HASH NAME", path, sc.Text())
		}
		sums[fields[1]] = fields[0]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
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
