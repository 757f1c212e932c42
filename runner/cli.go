// The command-line client: the status, drain and conformance subcommands, which talk to a runner through
// runner/api only, and the tables they print.

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

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

// runConformance is the conformance subcommand: it asks a runner to run the capability
// probes against one of its connections and prints the verdicts as a table. The runner
// holds the connection's password, so the probes run there; this talks to it through
// runner/api only.
func runConformance(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("adbmigrate-runner conformance", flag.ContinueOnError)
	connect := clientFlags(fs)
	id := fs.String("connection", "", "the id of the registered connection to probe (see GET /v1/connections)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: adbmigrate-runner conformance --connection ID [--endpoint URL] [--token-file FILE | --data-dir DIR] [--ca-file FILE] [--timeout D]")
		fmt.Fprintln(fs.Output(), "Runs the capability probes against the connection's server, on scratch tables in its adbmigrate_meta database,")
		fmt.Fprintln(fs.Output(), "and prints PROBE, VERDICT (yes, no, unknown), VALUE and DETAIL. Each probe has a 15 s deadline: raise --timeout for a slow server.")
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *id == "" {
		return errors.New("conformance takes --connection ID (the id of a registered connection) and no argument")
	}
	client, _, err := connect()
	if err != nil {
		return err
	}
	res, err := client.Conformance(context.Background(), *id)
	if err != nil {
		return err
	}
	return printConformance(out, res)
}

// printConformance writes one row per probe under a header.
func printConformance(out io.Writer, c api.Conformance) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROBE\tVERDICT\tVALUE\tDETAIL")
	for _, p := range c.Probes {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cell(p.Probe), cell(string(p.Verdict)), cell(p.Value), cell(p.Detail))
	}
	return w.Flush()
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
