// Command adbmigrate-runner is the daemon that owns migration tasks: it runs them, keeps
// their state in a bbolt store under --data-dir, and serves the authenticated /v1 API that the
// Terraform provider talks to.
package main

import (
	"context"
	"crypto/rand"
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
	"strings"
	"syscall"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/server"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "adbmigrate-runner:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("adbmigrate-runner", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8765", "address to serve the API on")
	dataDir := fs.String("data-dir", "", "directory for the store, the store key and the generated token (required)")
	tokenFile := fs.String("token-file", "", "file holding the API token (default: $ADBMIGRATE_TOKEN, else DATA_DIR/token, generated if missing)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" {
		return errors.New("--data-dir is required: the runner keeps its tasks there")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if err := store.EnsureDir(*dataDir); err != nil {
		return err
	}
	token, err := loadToken(*dataDir, *tokenFile, log)
	if err != nil {
		return err
	}
	box, err := secret.LoadOrCreate(filepath.Join(*dataDir, "store.key"))
	if err != nil {
		return err
	}
	st, err := store.Open(store.Path(*dataDir))
	if err != nil {
		return err
	}
	defer st.Close()

	sched := scheduler.New(st, box, log)
	if err := sched.Resume(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		sched.Shutdown()
		return fmt.Errorf("listening on %s (is another runner using it?): %w", *listen, err)
	}
	srv := &http.Server{
		Handler:           server.New(st, box, sched, log, token, version).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("runner listening", "address", ln.Addr().String(), "data_dir", *dataDir, "version", version)

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	sched.Shutdown()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// loadToken returns the API token: $ADBMIGRATE_TOKEN, else the token file, else
// DATA_DIR/token, generated with mode 0600 when missing. The token itself is never logged.
func loadToken(dataDir, tokenFile string, log *slog.Logger) (string, error) {
	if t := strings.TrimSpace(os.Getenv("ADBMIGRATE_TOKEN")); t != "" {
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
