// Package etcdtest starts throwaway etcd clusters for tests: real etcd member processes from
// the etcd binary of Debian's etcd-server package (3.4), on free loopback ports.
//
// Contracts:
//   - A test that asks for a cluster either gets one whose members all answer or fails
//     (t.Fatal). It is never skipped: without an etcd binary the test fails and says to run
//     scripts/install-etcd.sh or make test. The package installs nothing.
//   - Each member has its own data directory under one temporary directory (on /dev/shm when
//     it exists: etcd fsyncs its log, and a tmpfs makes that free), its own client and peer
//     ports, and its output in a log file there, printed when the test fails.
//   - Members are stopped when the test ends: SIGTERM, then SIGKILL when one has not exited
//     after stopWait (a terminated leader can take seconds to hand over).
//   - Stop, Kill and Start let a test take members down and bring them back on the same data
//     directory and ports.
package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

// stopWait is how long Stop waits for a member after SIGTERM before it kills it.
const stopWait = 5 * time.Second

// Cluster is a running etcd cluster of a test. Its methods are safe for concurrent use.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string
	members []*member
}

type member struct {
	name               string
	clientURL, peerURL string
	dataDir, logPath   string
	// args is the command line that starts the member again (as part of an existing
	// cluster) after Stop or Kill.
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the path of the etcd binary: $ETCD_BIN, else etcd on PATH, else
// /usr/bin/etcd; an error that says how to install it when there is none.
func Binary() (string, error) {
	if b := os.Getenv("ETCD_BIN"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("etcd"); err == nil {
		return b, nil
	}
	if _, err := os.Stat("/usr/bin/etcd"); err == nil {
		return "/usr/bin/etcd", nil
	}
	return "", errors.New("etcd is not installed: run scripts/install-etcd.sh (Debian's etcd-server package) or make test, or set ETCD_BIN")
}

// Start starts a cluster of n members and waits until every member answers. The cluster is
// stopped when the test ends. Under go test -short it skips t (internal/testtier).
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	testtier.RequireServers(t)
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "etcdtest-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, bin: bin, dir: dir}
	ports := freePorts(t, 2*n)
	var initial []string
	for i := range n {
		m := &member{
			name:      fmt.Sprintf("e%d", i+1),
			clientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]),
			peerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]),
		}
		m.dataDir = filepath.Join(dir, m.name)
		m.logPath = filepath.Join(dir, m.name+".log")
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peerURL)
	}
	t.Cleanup(func() {
		for i := range c.members {
			c.Stop(i)
		}
		if t.Failed() {
			for _, m := range c.members {
				if b, err := os.ReadFile(m.logPath); err == nil {
					t.Logf("etcd member %s log (last 4000 bytes):\n%s", m.name, tail(b, 4000))
				}
			}
		}
		os.RemoveAll(dir)
	})
	token := filepath.Base(dir)
	for i, m := range c.members {
		c.start(i, []string{
			"--name", m.name, "--data-dir", m.dataDir,
			"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
			"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", token,
			"--heartbeat-interval", "100", "--election-timeout", "1000",
			"--logger", "zap", "--log-outputs", "stderr",
		})
	}
	for i := range c.members {
		c.WaitHealthy(i, 30*time.Second)
	}
	return c
}

func (c *Cluster) start(i int, args []string) {
	c.t.Helper()
	m := c.members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		c.t.Fatalf("etcd member %s is running already", m.name)
	}
	logf, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// ETCD_UNSUPPORTED_ARCH and the like must not leak in from the caller; the member's
	// configuration is its flags only.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("starting etcd member %s: %v", m.name, err)
	}
	m.cmd, m.done = cmd, make(chan struct{})
	done := m.done
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	// Keep the arguments to restart the member the same way (its cluster exists now).
	restart := append([]string(nil), args...)
	for j, a := range restart {
		if a == "new" && j > 0 && restart[j-1] == "--initial-cluster-state" {
			restart[j] = "existing"
		}
	}
	m.args = restart
}

// Endpoints returns every member's client URL, member 0 first.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.clientURL
	}
	return out
}

// Endpoint returns member i's client URL.
func (c *Cluster) Endpoint(i int) string { return c.members[i].clientURL }

// Client returns a client of the whole cluster, closed when the test ends.
func (c *Cluster) Client() *clientv3.Client {
	c.t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cli.Close() })
	return cli
}

// WaitHealthy waits until member i answers a read that needs a quorum (a linearized Get),
// failing the test after within.
func (c *Cluster) WaitHealthy(i int, within time.Duration) {
	c.t.Helper()
	m := c.members[i]
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		last = probe(m.clientURL)
		if last == nil {
			return
		}
		select {
		case <-m.exited():
			c.t.Fatalf("etcd member %s exited while starting; see %s", m.name, m.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.t.Fatalf("etcd member %s at %s did not answer within %s: %v", m.name, m.clientURL, within, last)
}

func probe(url string) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = cli.Get(ctx, "etcdtest-probe")
	return err
}

// exited returns a channel closed once the member's process has exited (closed at once when
// it is not running).
func (m *member) exited() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return m.done
}

// Stop stops member i: SIGTERM, then SIGKILL after stopWait. Stopping a stopped member does
// nothing.
func (c *Cluster) Stop(i int) { c.signal(i, syscall.SIGTERM) }

// Kill kills member i with SIGKILL and waits until it has exited.
func (c *Cluster) Kill(i int) { c.signal(i, syscall.SIGKILL) }

func (c *Cluster) signal(i int, sig syscall.Signal) {
	m := c.members[i]
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.cmd, m.done = nil, nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(stopWait):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts member i again, after Stop or Kill, on its data directory and ports, and
// waits until it answers (which needs a quorum of members up).
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	m := c.members[i]
	m.mu.Lock()
	args := m.args
	m.mu.Unlock()
	c.start(i, args)
	c.WaitHealthy(i, 30*time.Second)
}

// Leader returns the index of the member that is the raft leader, failing the test when no
// member names one within 10 s.
func (c *Cluster) Leader() int {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for i, m := range c.members {
			select {
			case <-m.exited():
				continue
			default:
			}
			id, leader, err := status(m.clientURL)
			if err == nil && leader != 0 && id == leader {
				return i
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatal("no etcd member is the leader after 10 s")
	return -1
}

func status(url string) (id, leader uint64, err error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		return 0, 0, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := cli.Status(ctx, url)
	if err != nil {
		return 0, 0, err
	}
	return st.Header.MemberId, st.Leader, nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	out := make([]int, n)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return out
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
