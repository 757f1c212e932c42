// Package runnertest starts the real adbmigrate-runner binary for tests: built once per
// test process (or taken from $ADBMIGRATE_RUNNER_BIN), on a free loopback port, with its own
// data directory and token; optionally over HTTPS with a generated self-signed certificate.
package runnertest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the path of a runner binary, building it on first use. Under go test
// -short it skips t (internal/testtier): a runner process is a server.
func Binary(t testing.TB) string {
	t.Helper()
	testtier.RequireServers(t)
	buildOnce.Do(func() {
		if p := os.Getenv("ADBMIGRATE_RUNNER_BIN"); p != "" {
			binPath = p
			return
		}
		root, err := repoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "adbm-runner-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "adbmigrate-runner")
		cmd := exec.Command("go", "build", "-o", binPath, "./runner")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the runner: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Runner is one runner process.
type Runner struct {
	DataDir string
	// Addr is where the runner is reached: 127.0.0.1 and its port.
	Addr string
	// Endpoint is Addr as an http:// or, with Options.TLS, https:// URL.
	Endpoint string
	Token    string
	Client   *api.Client
	// HTTPClient makes raw requests to Endpoint; it trusts Options.TLS's certificate.
	HTTPClient *http.Client

	opts   Options
	listen string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *bytes.Buffer
}

// Options change how StartWith runs the runner. The zero value is what Start does.
type Options struct {
	// Args are extra command-line arguments, after --listen, --data-dir and --log-level.
	Args []string
	// ListenHost is the host part of --listen (default 127.0.0.1). The runner is still
	// reached on 127.0.0.1, so another host must be a wildcard such as 0.0.0.0.
	ListenHost string
	// TLS, when set, has the runner serve HTTPS with this certificate (--tls-cert,
	// --tls-key); Endpoint is then https:// and Client and HTTPClient trust TLS.Pool.
	TLS *TLSFiles
	// Token is the API token (ADBMIGRATE_TOKEN); a random one when empty. The runners of a
	// cluster share one.
	Token string
	// AdvertiseSelf passes --advertise-url with the runner's own Endpoint (cluster mode).
	AdvertiseSelf bool
}

// TLSFiles is a certificate and key on disk and a pool that trusts the certificate.
type TLSFiles struct {
	CertFile, KeyFile string
	Pool              *x509.CertPool
}

// Start starts a runner with a fresh data directory; it is stopped when the test ends.
func Start(t testing.TB) *Runner {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options. Runner.Start restarts it with the same options.
func StartWith(t testing.TB, opts Options) *Runner {
	t.Helper()
	testtier.RequireServers(t)
	dir, err := os.MkdirTemp("", "adbm-runner-")
	if err != nil {
		t.Fatal(err)
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	r := &Runner{DataDir: dir, Token: hex.EncodeToString(tok), opts: opts}
	if opts.Token != "" {
		r.Token = opts.Token
	}
	r.Addr = freeAddr(t)
	r.listen = r.Addr
	if opts.ListenHost != "" {
		_, port, _ := net.SplitHostPort(r.Addr)
		r.listen = net.JoinHostPort(opts.ListenHost, port)
	}
	r.Endpoint = "http://" + r.Addr
	r.HTTPClient = &http.Client{Timeout: time.Minute}
	if opts.TLS != nil {
		r.Endpoint = "https://" + r.Addr
		r.HTTPClient.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: opts.TLS.Pool, MinVersion: tls.VersionTLS12}}
	}
	r.Client, err = api.NewClient(r.Endpoint, r.Token, r.HTTPClient)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Kill(t)
		if t.Failed() {
			t.Logf("runner logs:\n%s", r.Logs())
		}
		os.RemoveAll(dir)
	})
	r.Start(t)
	return r
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Start starts the process (again) on the same data directory and address and waits until
// the API answers.
func (r *Runner) Start(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	if r.cmd != nil {
		r.mu.Unlock()
		t.Fatal("runner already running")
	}
	args := []string{"--listen", r.listen, "--data-dir", r.DataDir, "--log-level", "debug"}
	if r.opts.TLS != nil {
		args = append(args, "--tls-cert", r.opts.TLS.CertFile, "--tls-key", r.opts.TLS.KeyFile)
	}
	if r.opts.AdvertiseSelf {
		args = append(args, "--advertise-url", r.Endpoint)
	}
	cmd := exec.Command(Binary(t), append(args, r.opts.Args...)...)
	cmd.Env = append(os.Environ(), "ADBMIGRATE_TOKEN="+r.Token)
	if r.logs == nil {
		r.logs = &bytes.Buffer{}
	}
	logs := &lockedWriter{mu: &r.mu, w: r.logs}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		r.mu.Unlock()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()

	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := r.Client.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-done:
			t.Fatalf("runner exited at start:\n%s", r.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("runner did not answer within 20s: %v\n%s", err, r.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for the process to exit.
func (r *Runner) Stop(t testing.TB) { r.signal(t, syscall.SIGTERM) }

// Kill sends SIGKILL and waits for the process to exit.
func (r *Runner) Kill(t testing.TB) { r.signal(t, syscall.SIGKILL) }

// Pause sends SIGSTOP: the process stays, frozen, with its connections open, until
// Resume.
func (r *Runner) Pause(t testing.TB) { r.send(t, syscall.SIGSTOP) }

// Resume sends SIGCONT to a paused runner.
func (r *Runner) Resume(t testing.TB) { r.send(t, syscall.SIGCONT) }

func (r *Runner) send(t testing.TB, sig syscall.Signal) {
	t.Helper()
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd == nil {
		t.Fatalf("runner %s is not running: cannot send %v", r.Endpoint, sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v to runner %s: %v", sig, r.Endpoint, err)
	}
}

func (r *Runner) signal(t testing.TB, sig syscall.Signal) {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("runner did not exit within 60s of %v", sig)
	}
}

// Logs returns what the runner has written so far.
func (r *Runner) Logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logs == nil {
		return ""
	}
	return r.logs.String()
}

// WaitStatus polls the task until its status is one of want, failing the test after timeout.
func (r *Runner) WaitStatus(t testing.TB, id string, timeout time.Duration, want ...api.Status) api.Task {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		task, err := r.Client.GetTask(context.Background(), id)
		if err != nil {
			t.Fatalf("reading task %s: %v", id, err)
		}
		for _, w := range want {
			if task.State.Status == w {
				return task
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %s (%s) after %v, want one of %v", id, task.State.Status, task.State.ErrorMessage, timeout, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// SelfSignedTLS writes a self-signed ECDSA certificate for 127.0.0.1, ::1 and localhost,
// valid for a day, and its key into dir (cert.pem, key.pem, the key with mode 0600).
func SelfSignedTLS(t testing.TB, dir string) *TLSFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "adbmigrate-runner test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &TLSFiles{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), Pool: x509.NewCertPool()}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(f.CertFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	f.Pool.AppendCertsFromPEM(certPEM)
	return f
}

// Connect registers s with the runner as a mariadb connection named name and returns its id.
func (r *Runner) Connect(t testing.TB, name string, s *mariadbtest.Server) string {
	t.Helper()
	c, err := r.Client.CreateConnection(context.Background(), api.ConnectionSpec{
		Name: name, DatabaseType: api.DatabaseMariaDB, Host: s.Host, Port: s.Port, Username: s.User, Password: s.Password,
	})
	if err != nil {
		t.Fatalf("registering connection %s: %v", name, err)
	}
	return c.ID
}

// ConnectADB starts the emulated AnalyticDB (internal/adbfront) in the test process in
// front of s with switches sw, registers it as an adb_mysql3 connection named name, and
// returns the connection's id. The front stops when the test ends; s stays reachable
// directly for comparisons.
func (r *Runner) ConnectADB(t testing.TB, name string, s *mariadbtest.Server, sw adbfront.Switches) string {
	t.Helper()
	f, err := adbfront.Start(context.Background(), adbfront.Config{Listen: "127.0.0.1:0", Upstream: s.Addr(), AdminDSN: s.DSN(""), Switches: sw})
	if err != nil {
		t.Fatalf("starting the emulated AnalyticDB in front of %s: %v", s.Addr(), err)
	}
	t.Cleanup(func() { _ = f.Close() })
	host, portText, err := net.SplitHostPort(f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := fmt.Sscan(portText, &port); err != nil {
		t.Fatal(err)
	}
	c, err := r.Client.CreateConnection(context.Background(), api.ConnectionSpec{
		Name: name, DatabaseType: api.DatabaseADBMySQL3, Host: host, Port: port, Username: s.User, Password: s.Password,
	})
	if err != nil {
		t.Fatalf("registering connection %s: %v", name, err)
	}
	return c.ID
}

// ClusterTTL is the session TTL of the runners StartCluster starts.
const ClusterTTL = 3 * time.Second

// StartCluster starts n runner processes in cluster mode on the etcd cluster at
// etcdEndpoints, named r1..rn, sharing a --secret-key-file and an API token, with a
// --session-ttl of ClusterTTL and a 6 s retry time unit (a minute for other failures: a new
// owner may wait that long for a killed owner's open transaction to roll back and free its
// row locks, which nothing kills yet); extra arguments follow. They are stopped when the test
// ends.
func StartCluster(t testing.TB, etcdEndpoints []string, n int, extra ...string) []*Runner {
	t.Helper()
	return StartClusterTLS(t, etcdEndpoints, n, nil, extra...)
}

// StartClusterTLS is StartCluster with every runner serving HTTPS with tlsFiles (their
// --advertise-url is then https://); nil serves HTTP.
func StartClusterTLS(t testing.TB, etcdEndpoints []string, n int, tlsFiles *TLSFiles, extra ...string) []*Runner {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	token := hex.EncodeToString(tok)
	var out []*Runner
	for i := range n {
		args := append([]string{
			"--etcd-endpoints", strings.Join(etcdEndpoints, ","), "--etcd-prefix", "/adbmigrate-test",
			"--node-id", fmt.Sprintf("r%d", i+1), "--secret-key-file", keyFile,
			"--session-ttl", ClusterTTL.String(), "--retry-time-unit", "6s",
		}, extra...)
		out = append(out, StartWith(t, Options{Args: args, Token: token, AdvertiseSelf: true, TLS: tlsFiles}))
	}
	return out
}
