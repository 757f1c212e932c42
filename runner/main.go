// Command adbmigrate-runner is the daemon that owns migration tasks: it runs them, keeps
// their state in a bbolt store under --data-dir (single mode, the default) or in etcd shared
// with other runners (cluster mode, --etcd-endpoints; see cluster.go), and serves the
// authenticated /v1 API that the Terraform provider talks to, Prometheus metrics at /metrics,
// and a read-only web console at /ui.
//
// Usage:
//
//	adbmigrate-runner [--listen ADDR] --data-dir DIR [--tls-cert FILE --tls-key FILE | --insecure] ...
//	adbmigrate-runner --version
//	adbmigrate-runner status [--watch [--interval D]] [--endpoint URL] [--token-file FILE | --data-dir DIR] [--ca-file FILE]
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/authlimit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/console"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/server"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "status":
		err = runStatus(os.Args[2:], os.Stdout)
	case len(os.Args) > 1 && os.Args[1] == "drain":
		err = runDrain(os.Args[2:], os.Stdout)
	default:
		err = run(os.Args[1:])
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "adbmigrate-runner:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("adbmigrate-runner", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8765", "address to serve the API on; a non-loopback address needs --tls-cert and --tls-key, or --insecure")
	dataDir := fs.String("data-dir", "", "directory for the store, the store key and the generated token (required)")
	tokenFile := fs.String("token-file", "", "file holding the API token, 32 characters or more (default: $ADBMIGRATE_TOKEN, else DATA_DIR/token, generated if missing)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate (chain) to serve HTTPS with; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	insecure := fs.Bool("insecure", false, "allow plain HTTP on a non-loopback --listen address (behind a TLS-terminating proxy, say)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	retryUnit := fs.Duration("retry-time-unit", time.Minute, "length of one minute of the tasks' retry windows; shorten it only for tests and failure drills")
	latencyHold := fs.Duration("latency-alert-hold", 30*time.Second, "how long a task's lag must stay above its latency_threshold_seconds before the alert is sent")
	verifySettle := fs.Duration("verify-settle", 10*time.Second, "during incremental migration, how long a row that differs may take to catch up before verification counts it")
	verifyPause := fs.Duration("verify-pause", time.Minute, "during incremental migration, the pause between verification sweeps")
	consoleSample := fs.Duration("console-sample-interval", 5*time.Second, "how often the web console at /ui samples each task's rows and lag for its charts (it keeps an hour)")
	showVersion := fs.Bool("version", false, "print the runner's version and exit")
	var cf clusterFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println("adbmigrate-runner", version)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: the subcommands are status and drain", fs.Arg(0))
	}
	clustered := cf.endpoints != ""
	if err := cf.check(); err != nil {
		return err
	}
	if *dataDir == "" && !clustered {
		return errors.New("--data-dir is required: the runner keeps its tasks there")
	}
	if *dataDir == "" && *tokenFile == "" && strings.TrimSpace(os.Getenv("ADBMIGRATE_TOKEN")) == "" {
		return errors.New("in cluster mode without --data-dir, give the API token every runner shares: --token-file FILE or ADBMIGRATE_TOKEN")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	tlsConfig, err := serverTLS(*listen, *tlsCert, *tlsKey, *insecure)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// Everything the process writes is one JSON object a line: the standard library's log
	// package and the MySQL driver's error log go through the same handler.
	slog.SetDefault(log)
	_ = mysql.SetLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn))

	if *dataDir != "" {
		if err := store.EnsureDir(*dataDir); err != nil {
			return err
		}
	}
	// ADBMIGRATE_CPU_PROFILE=FILE writes a CPU profile of the whole run to FILE, for
	// performance work (go tool pprof FILE); the runner must exit by a signal to finish it.
	if path := os.Getenv("ADBMIGRATE_CPU_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("ADBMIGRATE_CPU_PROFILE: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("ADBMIGRATE_CPU_PROFILE: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	token, err := loadToken(*dataDir, *tokenFile, log)
	if err != nil {
		return err
	}
	var st store.Store
	var cl *clusterRuntime
	if clustered {
		cl, err = cf.open(log)
		if err != nil {
			return err
		}
		defer cl.close()
		st = cl.store
	} else {
		st, err = store.Open(store.Path(*dataDir))
		if err != nil {
			return err
		}
	}
	defer st.Close()
	key, err := st.SealingKey()
	if err != nil {
		return err
	}
	box, err := secret.New(key)
	if err != nil {
		return err
	}

	if *retryUnit <= 0 {
		return fmt.Errorf("--retry-time-unit must be positive, not %s", *retryUnit)
	}
	hold := *latencyHold
	if hold <= 0 {
		hold = -1 // alert as soon as the lag crosses the threshold
	}
	sched := scheduler.New(st, box, log, scheduler.Options{RetryTimeUnit: *retryUnit, LatencyHold: hold, VerifySettle: *verifySettle, VerifyPause: *verifyPause,
		Cluster: clustered, NodeID: cf.nodeID})
	if err := sched.Resume(); err != nil {
		return err
	}
	if clustered {
		if err := cl.join(sched, log); err != nil {
			sched.Shutdown()
			return err
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		sched.Shutdown()
		return fmt.Errorf("listening on %s (is another runner using it?): %w", *listen, err)
	}
	// The web console at /ui signs in with the token into a cookie; everything else is the
	// API with its bearer token. Wrong tokens at either count toward one refusal per address.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	limit := authlimit.New(clock.Real(), log, authlimit.Options{})
	con := console.New(st, log, token, limit, version, console.Options{SampleEvery: *consoleSample})
	go con.Run(ctx)
	handler := server.New(st, box, sched, log, token, limit, version)
	if clustered {
		handler.SetNodes(cl.nodes)
		peers, err := cf.peerClient()
		if err != nil {
			return err
		}
		handler.SetPeerClient(peers)
		handler.SetDrain(cl.drain)
		handler.SetOwner(cl.owner)
		handler.AddCollector(cl)
	}
	routes := http.NewServeMux()
	routes.Handle("/ui", con.Handler())
	routes.Handle("/ui/", con.Handler())
	routes.Handle("/", handler.Handler())
	srv := &http.Server{
		Handler:           routes,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		TLSConfig:         tlsConfig,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	log.Info("runner listening", "address", ln.Addr().String(), "scheme", scheme, "data_dir", *dataDir, "version", version)
	if tlsConfig == nil && !isLoopback(*listen) {
		log.Warn("serving plain HTTP on a non-loopback address because of --insecure: the API token crosses the network in clear unless a proxy terminates TLS", "address", ln.Addr().String())
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if clustered {
		// Hand the tasks over first: their runs end, then the session, so the scheduler
		// reassigns them at once instead of after the TTL.
		cl.leave()
	}
	sched.Shutdown()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// minTokenLength is the fewest characters a given API token may have: 32 hex digits are
// 128 bits. The generated token has 64 (256 bits).
const minTokenLength = 32

// loadToken returns the API token: $ADBMIGRATE_TOKEN, else the token file, else
// DATA_DIR/token, generated with mode 0600 when missing. A token shorter than
// minTokenLength is refused. The token itself is never logged.
func loadToken(dataDir, tokenFile string, log *slog.Logger) (string, error) {
	if t := strings.TrimSpace(os.Getenv("ADBMIGRATE_TOKEN")); t != "" {
		if err := checkTokenLength(t, "ADBMIGRATE_TOKEN", "unset ADBMIGRATE_TOKEN"); err != nil {
			return "", err
		}
		log.Info("API token taken from ADBMIGRATE_TOKEN")
		return t, nil
	}
	path := tokenFile
	if path == "" {
		path = filepath.Join(dataDir, "token")
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", fmt.Errorf("token file %s is empty: put a token in it or remove it to have one generated", path)
		}
		what, unset := "--token-file "+path, "drop --token-file"
		if tokenFile == "" {
			what, unset = "token file "+path, "remove the file"
		}
		if err := checkTokenLength(t, what, unset); err != nil {
			return "", err
		}
		log.Info("API token read from file", "path", path)
		return t, nil
	case !errors.Is(err, os.ErrNotExist) || tokenFile != "":
		return "", fmt.Errorf("reading token file %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	t := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing generated token to %s: %w", path, err)
	}
	log.Info("API token generated", "path", path)
	return t, nil
}

// checkTokenLength refuses a token shorter than minTokenLength taken from source; unset
// says how to have the runner generate one instead.
func checkTokenLength(token, source, unset string) error {
	if len(token) >= minTokenLength {
		return nil
	}
	return fmt.Errorf("the API token in %s has %d characters, fewer than the %d needed to resist guessing: "+
		"put a longer one there (openssl rand -hex 32 makes one of 64), or %s to have the runner generate one into the --data-dir",
		source, len(token), minTokenLength, unset)
}

// serverTLS checks the listen address against the TLS flags and loads the certificate.
// It returns nil for plain HTTP, which is allowed on loopback addresses and, with
// insecure, anywhere.
func serverTLS(listen, certFile, keyFile string, insecure bool) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		if !insecure && !isLoopback(listen) {
			return nil, fmt.Errorf("refusing to serve plain HTTP on non-loopback address %s: the API token and connection passwords would cross the network unencrypted. "+
				"Serve HTTPS with --tls-cert FILE --tls-key FILE, listen on a loopback address (127.0.0.1:8765), "+
				"or pass --insecure if a TLS-terminating proxy or a private network protects the port", listen)
		}
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("--tls-cert and --tls-key go together: give both the PEM certificate and its private key")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert %s and --tls-key %s (both PEM, the key matching the certificate): %w", certFile, keyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// isLoopback reports whether a --listen address only accepts connections from this host:
// 127.0.0.0/8, ::1 or localhost. An empty host (":8765") means every interface.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// runStatus is the status subcommand: it asks a runner for its tasks and prints them as a
// table on out. It talks to the runner through runner/api only.
func runStatus(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("adbmigrate-runner status", flag.ContinueOnError)
	connect := clientFlags(fs)
	watch := fs.Bool("watch", false, "keep showing the tasks, with a progress bar per table during the full migration and the lag during incremental migration, until interrupted")
	interval := fs.Duration("interval", 2*time.Second, "with --watch, how often to read the tasks")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: adbmigrate-runner status [--watch [--interval D]] [--endpoint URL] [--token-file FILE | --data-dir DIR] [--ca-file FILE] [nodes]")
		fmt.Fprintln(fs.Output(), "Prints the runner's tasks: ID, NAME, STATUS, PHASE, PROGRESS %, ROWS, LAG s, POSITION, and in a cluster OWNER and EPOCH.")
		fmt.Fprintln(fs.Output(), "With --watch: redraws them on a terminal (plain lines otherwise) until Ctrl-C.")
		fmt.Fprintln(fs.Output(), "With nodes, prints the runners of a cluster: NODE, LEADER, DRAINING, TASKS, MAX TASKS, URL, STARTED.")
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	view := ""
	if len(rest) > 0 {
		view = rest[0]
	}
	if len(rest) > 1 || (view != "" && view != "nodes") {
		return fmt.Errorf("status takes no argument but nodes (the runners of a cluster), got %q", strings.Join(rest, " "))
	}
	client, endpoint, err := connect()
	if err != nil {
		return err
	}
	if view == "nodes" {
		nodes, err := client.Nodes(context.Background())
		if err != nil {
			return err
		}
		return printNodes(out, nodes)
	}
	if *watch {
		return watchStatus(client.ListTasks, endpoint, out, *interval)
	}
	tasks, err := client.ListTasks(context.Background())
	var unknownCA x509.UnknownAuthorityError
	if errors.As(err, &unknownCA) {
		return fmt.Errorf("%w: pass --ca-file with the CA certificate that signed the runner's --tls-cert", err)
	}
	if err != nil {
		return err
	}
	return printTasks(out, tasks)
}

// runDrain is the drain subcommand: it asks a cluster to move every task off a runner
// (or, with --undo, to give it tasks again), and with --wait waits until it owns none.
func runDrain(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("adbmigrate-runner drain", flag.ContinueOnError)
	connect := clientFlags(fs)
	undo := fs.Bool("undo", false, "give the runner tasks again")
	wait := fs.Duration("wait", time.Minute, "how long to wait until the drained runner owns no task (0: do not wait)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: adbmigrate-runner drain [--undo] [--wait D] [--endpoint URL] [--token-file FILE | --data-dir DIR] [--ca-file FILE] NODE_ID")
		fmt.Fprintln(fs.Output(), "Moves every task off the cluster runner NODE_ID (each hands over after its open transaction, well within a second) and keeps it")
		fmt.Fprintln(fs.Output(), "from taking tasks, for maintenance; it stays drained across restarts until drain --undo.")
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("drain takes one argument, the --node-id of the runner to drain (see adbmigrate-runner status nodes)")
	}
	node := rest[0]
	client, _, err := connect()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := client.DrainNode(ctx, node, !*undo); err != nil {
		return err
	}
	if *undo {
		fmt.Fprintf(out, "runner %s takes tasks again\n", node)
		return nil
	}
	for deadline := time.Now().Add(*wait); ; time.Sleep(200 * time.Millisecond) {
		nodes, err := client.Nodes(ctx)
		if err != nil {
			return err
		}
		owned := -1
		for _, n := range nodes {
			if n.NodeID == node {
				owned = n.Tasks
			}
		}
		if owned <= 0 {
			fmt.Fprintf(out, "runner %s is drained: it owns no task\n", node)
			return nil
		}
		if *wait == 0 || time.Now().After(deadline) {
			return fmt.Errorf("runner %s still owns %d tasks after %s: see adbmigrate-runner status nodes (the other runners may be at their --max-tasks)", node, owned, *wait)
		}
	}
}

// httpClientTrusting returns an HTTP client with timeout that verifies TLS certificates with
// the PEM CA bundle in caFile (named flag in errors), or with the system's roots when caFile
// is empty.
func httpClientTrusting(caFile, flag string, timeout time.Duration) (*http.Client, error) {
	hc := &http.Client{Timeout: timeout}
	if caFile == "" {
		return hc, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s holds no PEM certificate", flag, caFile)
	}
	hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return hc, nil
}

// parseInterspersed parses args with fs, flags before and after the positional arguments
// alike (status nodes --endpoint URL), and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// clientFlags registers the flags that say how to reach a runner on fs, and returns what
// builds the client from them after parsing, with the endpoint it talks to.
func clientFlags(fs *flag.FlagSet) func() (*api.Client, string, error) {
	endpoint := fs.String("endpoint", firstSet(os.Getenv("ADBMIGRATE_ENDPOINT"), api.DefaultEndpoint), "runner API URL (default: $ADBMIGRATE_ENDPOINT, else "+api.DefaultEndpoint+")")
	tokenFile := fs.String("token-file", "", "file holding the API token (default: $ADBMIGRATE_TOKEN, else DATA_DIR/token)")
	dataDir := fs.String("data-dir", "", "the runner's data directory, to read its token file from")
	caFile := fs.String("ca-file", "", "PEM CA bundle to verify the runner's TLS certificate with (default: the system's roots)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the runner")
	return func() (*api.Client, string, error) {
		token, err := clientToken(*tokenFile, *dataDir)
		if err != nil {
			return nil, "", err
		}
		hc, err := httpClientTrusting(*caFile, "--ca-file", *timeout)
		if err != nil {
			return nil, "", err
		}
		client, err := api.NewClient(*endpoint, token, hc)
		return client, *endpoint, err
	}
}

// clientToken finds the token the status subcommand sends: --token-file, else
// $ADBMIGRATE_TOKEN, else DATA_DIR/token. An explicit flag wins, as in the provider.
func clientToken(tokenFile, dataDir string) (string, error) {
	path := tokenFile
	if path == "" {
		if t := strings.TrimSpace(os.Getenv("ADBMIGRATE_TOKEN")); t != "" {
			return t, nil
		}
		if dataDir == "" {
			return "", errors.New("no API token: set ADBMIGRATE_TOKEN, or pass --token-file FILE, or --data-dir DIR of the runner (its token file is DIR/token)")
		}
		path = filepath.Join(dataDir, "token")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the API token: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return t, nil
}

// printTasks writes one row per task under a header. When a task has an owner (cluster
// mode), OWNER and EPOCH columns follow; a single runner's table is as it always was.
func printTasks(out io.Writer, tasks []api.Task) error {
	owned := slices.ContainsFunc(tasks, func(t api.Task) bool { return t.State.Owner != "" })
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "ID\tNAME\tSTATUS\tPHASE\tPROGRESS %\tROWS\tLAG s\tPOSITION"
	if owned {
		header += "\tOWNER\tEPOCH"
	}
	fmt.Fprintln(w, header)
	for _, t := range tasks {
		st := t.State
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.1f\t%d\t%.1f\t%s", cell(t.ID), cell(t.Name), cell(string(st.Status)), cell(string(st.Phase)),
			st.ProgressPercent, st.RowsMigrated, st.LatencySeconds, position(st.Position))
		if owned {
			fmt.Fprintf(w, "\t%s\t%d", cell(st.Owner), st.Epoch)
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// printNodes writes one row per runner of a cluster under a header.
func printNodes(out io.Writer, nodes []api.Node) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tLEADER\tDRAINING\tTASKS\tMAX TASKS\tURL\tSTARTED")
	for _, n := range nodes {
		leader, draining, max := "-", "-", "-"
		if n.Leader {
			leader = "yes"
		}
		if n.Draining {
			draining = "yes"
		}
		if n.MaxTasks > 0 {
			max = fmt.Sprint(n.MaxTasks)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", cell(n.NodeID), leader, draining, n.Tasks, max, cell(n.AdvertiseURL), n.StartedAt.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}

// position renders a binlog position as file:pos, then the GTID set after " / " when there is one.
func position(p api.Position) string {
	var parts []string
	if p.File != "" {
		parts = append(parts, fmt.Sprintf("%s:%d", p.File, p.Pos))
	}
	if p.GTIDSet != "" {
		// MySQL writes long GTID sets over several lines.
		parts = append(parts, strings.ReplaceAll(p.GTIDSet, "\n", ""))
	}
	return cell(strings.Join(parts, " / "))
}

// cell makes s one table cell: "-" when empty, tabs and line breaks as spaces.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
