package engine

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/capability"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// ItemDestinationCapabilities is the precheck item that shows the capability probes'
// verdicts on the destination.
const ItemDestinationCapabilities = vocab.ItemDestinationCapabilities

// CapabilityVerdict is what one capability probe found on a destination.
type CapabilityVerdict = capability.Verdict

// Conformance runs the capability probes against ep as a task's destination writer would
// reach it, on scratch tables in its meta database, and returns every verdict. It fails
// only when ep cannot be reached or the meta database cannot be created.
func Conformance(ctx context.Context, ep Endpoint) ([]CapabilityVerdict, error) {
	db, err := dbconn.OpenWriter(ep, "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return nil, dbconn.Explain(ep, err)
	}
	return capability.Run(ctx, db, capability.Options{})
}

// probeDestination runs the capability probes on the task's destination writer pool and
// returns their verdicts and the precheck item that shows them.
func probeDestination(ctx context.Context, dst *sql.DB) (capability.Report, precheck.Result) {
	report, err := capability.Run(ctx, dst, capability.Options{})
	return report, capabilityItem(report, err)
}

// capabilityItem is the destination_capabilities item of report, a line per probe, and
// first how the task writes when BEGIN ... ROLLBACK does not undo a write; a failure when
// the probes could not run (err).
func capabilityItem(report capability.Report, err error) precheck.Result {
	item := precheck.Result{Name: ItemDestinationCapabilities}
	if err != nil {
		item.State, item.Message = precheck.Failed, err.Error()
		item.Remedy = "Grant the destination user CREATE, INSERT, SELECT, DROP on " + vocab.MetaDatabase + ".*, where the probes create their scratch tables."
		return item
	}
	lines := make([]string, len(report))
	for i, v := range report {
		lines[i] = v.Probe + ": " + string(v.Answer)
		if v.Value != "" {
			lines[i] += " (" + v.Value + ")"
		}
		if v.Answer != capability.Yes {
			lines[i] += ": " + v.Detail
		}
	}
	item.State, item.Message = precheck.Passed, strings.Join(lines, "\n")
	if w := writesFor(report); w.Direct {
		tx, _ := report.Get(capability.Transactions)
		item.Message = fmt.Sprintf("the destination has no atomic transactions (%s), so the task writes directly: every row is written whole by key (REPLACE) "+
			"or deleted by key, before the checkpoint that covers it, and a restart replays from the checkpoint (docs/adb.md); in a runner cluster the "+
			"fence ends an earlier owner's connections with %s.\n%s", tx.Detail, cmp.Or(w.Kill, "no KILL form (a cluster cannot fence this destination)"), item.Message)
	}
	return item
}

// writesFor chooses how a task writes to a destination with the probes' verdicts r: direct
// writes unless BEGIN ... ROLLBACK undid a write; the first KILL form that worked.
func writesFor(r capability.Report) checkpoint.Writes {
	var w checkpoint.Writes
	if tx, _ := r.Get(capability.Transactions); tx.Answer != capability.Yes {
		w.Direct = true
	}
	if kill, _ := r.Get(capability.Kill); kill.Answer == capability.Yes {
		w.Kill, _, _ = strings.Cut(kill.Value, ",")
		w.Kill = strings.TrimSpace(w.Kill)
	}
	return w
}

// loadDataUsable reports whether the probes found every LOAD DATA clause the bulk load
// writes accepted (dialect.BulkLoad: CHARACTER SET, ESCAPED BY, SET). A probe that could
// not tell counts as a refusal: the INSERT writer works everywhere.
func loadDataUsable(r capability.Report) bool {
	for _, name := range []string{capability.LoadDataCharacterSet, capability.LoadDataEscapedBy, capability.LoadDataSet} {
		if v, ok := r.Get(name); !ok || v.Answer != capability.Yes {
			return false
		}
	}
	return true
}
