// Command adbfront runs the emulator of documented AnalyticDB for MySQL 3.0
// behaviour in front of a MariaDB server, for the demo and manual tests. It
// is the documented behaviour, not AnalyticDB: see docs/adb.md.
//
//	adbfront -listen 127.0.0.1:3307 -upstream 127.0.0.1:3306 -admin-dsn 'user:pw@tcp(127.0.0.1:3306)/' -transactions noop
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
)

func main() {
	var cfg adbfront.Config
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "TCP address to listen on")
	flag.StringVar(&cfg.Upstream, "upstream", "", "MariaDB server address, host:port (required)")
	flag.StringVar(&cfg.AdminDSN, "admin-dsn", "", "go-sql-driver DSN of the same MariaDB for the front's own bookkeeping (required)")
	flag.StringVar(&cfg.Switches.Transactions, "transactions", "error", "BEGIN/COMMIT/ROLLBACK: error or noop")
	flag.StringVar(&cfg.Switches.LockingReads, "locking-reads", "error", "FOR UPDATE / LOCK IN SHARE MODE: error or strip")
	flag.StringVar(&cfg.Switches.FourByteUTF8, "utf8mb4", "keep", "4-byte UTF-8 characters: keep or refuse")
	flag.StringVar(&cfg.Switches.MySQLKill, "mysql-kill", "refuse", "KILL [CONNECTION|QUERY] id: refuse or allow")
	flag.StringVar(&cfg.Switches.MySQLTypeNames, "mysql-type-names", "refuse", "CHAR, TEXT, BLOB, VARBINARY, MEDIUMINT: refuse or accept")
	flag.StringVar(&cfg.Mode, "mode", adbfront.ModeADB, "adb (AnalyticDB), or MySQL's documented behaviour: mysql84, mysql80 or mysql57")
	flag.StringVar(&cfg.MySQL.GTIDMode, "gtid-mode", "OFF", "MySQL modes: what @@gtid_mode reads (OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON)")
	verbose := flag.Bool("v", false, "log every refused or rewritten statement")
	flag.Parse()
	if cfg.Upstream == "" || cfg.AdminDSN == "" && cfg.Mode == adbfront.ModeADB {
		fmt.Fprintln(os.Stderr, "adbfront: -upstream is required, and -admin-dsn in mode adb")
		flag.Usage()
		os.Exit(2)
	}
	if *verbose {
		cfg.Logf = log.Printf
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := adbfront.Start(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	// The one line on stdout: scripts read the address from it.
	what := "AnalyticDB"
	if cfg.Mode != adbfront.ModeADB {
		what = "MySQL (" + cfg.Mode + ")"
	}
	fmt.Printf("adbfront listening on %s (documented %s behaviour over MariaDB %s)\n", f.Addr(), what, cfg.Upstream)
	<-ctx.Done()
	if err := f.Close(); err != nil {
		log.Print(err)
	}
}
