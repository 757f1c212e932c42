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
//	adbmigrate-runner status [--watch [--interval D]] [--endpoint URL] [--token-file FILE | --data-dir DIR] [--ca-file FILE] [nodes]
//	adbmigrate-runner drain [--undo] [--wait D] [--endpoint URL] ... NODE_ID
//	adbmigrate-runner conformance --connection ID [--endpoint URL] ...
//
// main.go picks the subcommand; daemon.go is the daemon, cli.go the status, drain and
// conformance subcommands, watch.go status --watch, and cluster.go the daemon's cluster mode.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
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
	case len(os.Args) > 1 && os.Args[1] == "conformance":
		err = runConformance(os.Args[2:], os.Stdout)
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
