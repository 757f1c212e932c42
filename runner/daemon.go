// The daemon: flags, the store and its key, the API token, TLS, the scheduler, the cluster
// membership and the HTTP server, until SIGTERM or SIGINT.

package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/authlimit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/console"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/server"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

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
