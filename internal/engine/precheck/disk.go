package precheck

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// maxDiskUse is the disk use above which the destination delays writes (seed: 80%).
const maxDiskUse = 80

type diskSpaceCheck struct{ e *env }

func (diskSpaceCheck) Name() string { return DestinationDiskSpace }

func (c diskSpaceCheck) Check(ctx context.Context) Result {
	if err := c.e.src.reach(ctx); err != nil {
		return c.e.src.unreachable(err)
	}
	if err := c.e.dst.reach(ctx); err != nil {
		return c.e.dst.unreachable(err)
	}
	cat, err := c.e.sourceCatalog(ctx)
	if err != nil {
		return queryFailed(c.e.src, "measure the source data", err)
	}
	var size uint64
	for _, t := range cat {
		size += t.Bytes
	}
	if c.e.dst.typ == dbconn.TypeADBMySQL3 {
		return unmeasured(size, "AnalyticDB shows disk use only in its console")
	}
	if !isLoopback(c.e.in.DestinationHost) {
		return unmeasured(size, "the destination is not on this machine")
	}
	var datadir, hostname string
	if err := c.e.dst.db.QueryRowContext(ctx, "SELECT @@datadir, @@hostname").Scan(&datadir, &hostname); err != nil {
		return unmeasured(size, fmt.Sprintf("its data directory is unknown (%v)", err))
	}
	// A loopback address may be a tunnel to another machine: only measure a server that
	// runs on this host.
	if local, err := os.Hostname(); err != nil || !strings.EqualFold(local, hostname) {
		return unmeasured(size, fmt.Sprintf("the server at the loopback address reports host %q, not this machine", hostname))
	}
	free, total, err := diskSpace(datadir)
	if err != nil {
		return unmeasured(size, fmt.Sprintf("its data directory %s cannot be measured here (%v)", datadir, err))
	}
	r := judgeDiskSpace(size, free, total)
	r.Message += " (data directory " + datadir + ")"
	return r
}

// judgeDiskSpace decides on the destination's disk: Failed when the source data does not
// fit, Alert when disk use would exceed 80% after the copy.
func judgeDiskSpace(sourceBytes, freeBytes, totalBytes uint64) Result {
	if totalBytes == 0 {
		return unmeasured(sourceBytes, "its disk reports no size")
	}
	used := totalBytes - min(freeBytes, totalBytes)
	nowPct := used * 100 / totalBytes
	afterPct := (used + sourceBytes) * 100 / totalBytes
	facts := fmt.Sprintf("source data is %s; the destination disk has %s free of %s (%d%% used)",
		human(sourceBytes), human(freeBytes), human(totalBytes), nowPct)
	switch {
	case freeBytes < sourceBytes:
		return Result{
			State:   Failed,
			Message: facts + ": the source data does not fit",
			Remedy:  fmt.Sprintf("free or add at least %s on the destination disk (more to stay below %d%% use), or migrate fewer tables", human(sourceBytes-freeBytes), maxDiskUse),
		}
	case afterPct > maxDiskUse:
		need := (used+sourceBytes)*100/maxDiskUse - totalBytes
		return Result{
			State:   Alert,
			Message: fmt.Sprintf("%s: disk use would reach %d%% after the copy, and the destination delays writes above %d%%", facts, afterPct, maxDiskUse),
			Remedy:  fmt.Sprintf("free or add about %s on the destination disk so that use stays below %d%%, or add %s to ignore_precheck_alerts", human(need), maxDiskUse, DestinationDiskSpace),
		}
	}
	return passed("%s, %d%% after the copy", facts, afterPct)
}

// unmeasured is the alert for a destination whose free space cannot be measured.
func unmeasured(sourceBytes uint64, why string) Result {
	return Result{
		State:   Alert,
		Message: fmt.Sprintf("cannot measure destination free space remotely; source data is %.1f MiB (%s)", float64(sourceBytes)/(1<<20), why),
		Remedy: fmt.Sprintf("check that the destination has more free space than %s (the copy also fragments, so allow more) and stays below %d%% disk use after the copy, then add %s to ignore_precheck_alerts",
			human(sourceBytes), maxDiskUse, DestinationDiskSpace),
	}
}

// isLoopback reports whether host names this machine: localhost or a loopback address.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// human formats a byte count.
func human(n uint64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
