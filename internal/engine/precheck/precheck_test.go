package precheck

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

type fakeChecker struct {
	name  string
	check func(ctx context.Context) Result
}

func (f fakeChecker) Name() string                     { return f.name }
func (f fakeChecker) Check(ctx context.Context) Result { return f.check(ctx) }

func TestRunOrderAndConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	var checkers []Checker
	for i := range 12 {
		checkers = append(checkers, fakeChecker{name: fmt.Sprintf("item%d", i), check: func(context.Context) Result {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			// Later items finish first, so order must come from Run, not from finishing.
			time.Sleep(time.Duration(12-i) * time.Millisecond)
			running.Add(-1)
			return Result{Name: "ignored", State: Passed, Message: fmt.Sprint(i)}
		}})
	}
	results := Run(context.Background(), checkers)
	if len(results) != len(checkers) {
		t.Fatalf("%d results for %d checkers", len(results), len(checkers))
	}
	for i, r := range results {
		if r.Name != fmt.Sprintf("item%d", i) || r.Message != fmt.Sprint(i) || r.State != Passed {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if p := peak.Load(); p > concurrency || p < 2 {
		t.Errorf("peak concurrency %d, want between 2 and %d", p, concurrency)
	}
}

func TestRunRecoversPanics(t *testing.T) {
	results := Run(context.Background(), []Checker{
		fakeChecker{name: "good", check: func(context.Context) Result { return Result{State: Passed} }},
		fakeChecker{name: "bad", check: func(context.Context) Result { panic("boom") }},
	})
	if results[0].State != Passed {
		t.Errorf("good: %+v", results[0])
	}
	if r := results[1]; r.Name != "bad" || r.State != Failed || !strings.Contains(r.Message, "boom") || !strings.Contains(r.Message, "bad") || r.Remedy == "" {
		t.Errorf("bad: %+v", r)
	}
}

func TestRunContextEnds(t *testing.T) {
	// The context ends once the quick item has finished, as a deadline would.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	block := make(chan struct{})
	defer close(block)
	checkers := []Checker{
		fakeChecker{name: "quick", check: func(context.Context) Result {
			time.AfterFunc(20*time.Millisecond, func() { cancel(context.DeadlineExceeded) })
			return Result{State: Passed}
		}},
	}
	// More stuck items than the concurrency bound: some never start.
	for i := range concurrency + 2 {
		checkers = append(checkers, fakeChecker{name: fmt.Sprintf("stuck%d", i), check: func(context.Context) Result {
			<-block // ignores ctx
			return Result{State: Passed}
		}})
	}
	start := time.Now()
	results := Run(ctx, checkers)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Run took %v after its context ended", d)
	}
	if results[0].State != Passed {
		t.Errorf("quick: %+v", results[0])
	}
	for _, r := range results[1:] {
		if r.State != Failed || !strings.HasPrefix(r.Name, "stuck") || !strings.Contains(r.Message, r.Name) || !strings.Contains(r.Message, "deadline") {
			t.Errorf("stuck item: %+v", r)
		}
	}
}

func TestBlocking(t *testing.T) {
	results := []Result{
		{Name: "a", State: Passed},
		{Name: "b", State: Alert},
		{Name: "c", State: Failed},
		{Name: "d", State: Alert},
		{Name: "e", State: Failed},
	}
	var names []string
	for _, r := range Blocking(results, []string{"d", "e", "zz"}) {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "b,c,e" {
		t.Errorf("Blocking = %s, want b,c,e (a failure cannot be ignored)", got)
	}
	if got := Blocking(results[:1], nil); len(got) != 0 {
		t.Errorf("Blocking(passed) = %+v", got)
	}
	s := Summarize(Blocking(results, nil))
	if !strings.Contains(s, "4 item(s)") || !strings.Contains(s, `add "b" to ignore_precheck_alerts`) {
		t.Errorf("Summarize = %q", s)
	}
	if Summarize(nil) != "" {
		t.Error("Summarize(nil) is not empty")
	}
}

func TestCheckersApply(t *testing.T) {
	names := func(in Input) string {
		var out []string
		for _, c := range Checkers(in) {
			out = append(out, c.Name())
		}
		return strings.Join(out, ",")
	}
	base := "source_connectivity,destination_connectivity,source_privileges,destination_privileges,destination_disk_space"
	tail := "source_tables,primary_key,adb_auto_id,destination_conflict,destination_backup,charset_support"
	tables := []Table{{SourceDatabase: "a", SourceTable: "t", DestDatabase: "a", DestTable: "t"}}
	if got, want := names(Input{SourceType: "mariadb", Tables: tables}), base+","+tail; got != want {
		t.Errorf("full only:\n got %s\nwant %s", got, want)
	}
	if got, want := names(Input{SourceType: "mysql", Incremental: true, Tables: tables}),
		base+",binlog_enabled,binlog_format,binlog_row_image,server_id,binlog_retention,"+tail; got != want {
		t.Errorf("incremental mysql:\n got %s\nwant %s", got, want)
	}
	tables[0].Where = "id > 1"
	if got, want := names(Input{SourceType: "adb_mysql3", Incremental: true, Tables: tables}),
		base+",binlog_enabled,binlog_retention,source_engine_version,adb_source_incremental,"+tail+",where_filter"; got != want {
		t.Errorf("incremental adb with filter:\n got %s\nwant %s", got, want)
	}
	all := map[string]bool{}
	for _, n := range vocab.PrecheckItems() {
		all[n] = true
	}
	for _, n := range strings.Split(names(Input{SourceType: "adb_mysql3", Incremental: true, Tables: tables})+","+names(Input{SourceType: "mysql", Incremental: true, Tables: tables}), ",") {
		if !all[n] {
			t.Errorf("item %s is not in vocab.PrecheckItems", n)
		}
	}
}

func TestJudgeDiskSpace(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		source, free, total uint64
		want                State
		mention             string
	}{
		{1 * gib, 50 * gib, 100 * gib, Passed, "51% after the copy"},
		{60 * gib, 50 * gib, 100 * gib, Failed, "does not fit"},
		{35 * gib, 50 * gib, 100 * gib, Alert, "would reach 85%"},
		{0, 30 * gib, 100 * gib, Passed, "70% used"},
		{10 * gib, 15 * gib, 100 * gib, Alert, "95%"},
		{1, 0, 0, Alert, "cannot measure"},
	}
	for _, tt := range tests {
		r := judgeDiskSpace(tt.source, tt.free, tt.total)
		if r.State != tt.want || !strings.Contains(r.Message, tt.mention) {
			t.Errorf("judgeDiskSpace(%d, %d, %d) = %+v; want %s mentioning %q", tt.source, tt.free, tt.total, r, tt.want, tt.mention)
		}
		if r.State != Passed && r.Remedy == "" {
			t.Errorf("judgeDiskSpace(%d, %d, %d) has no remedy", tt.source, tt.free, tt.total)
		}
	}
	if r := unmeasured(3<<20, "remote"); !strings.Contains(r.Message, "cannot measure destination free space remotely; source data is 3.0 MiB") {
		t.Errorf("unmeasured: %q", r.Message)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true,
		"10.0.0.1": false, "db.example.com": false, "": false, "0.0.0.0": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestJudgeRetention(t *testing.T) {
	h := time.Hour
	tests := []struct {
		retention, retry time.Duration
		want             State
	}{
		{0, 12 * h, Passed},
		{24 * h, 12 * h, Passed},
		{30 * 24 * h, 24 * h, Passed},
		{6 * h, 12 * h, Alert},
		{23 * h, 1 * h, Alert},
		{25 * h, 30 * h, Alert},
	}
	for _, tt := range tests {
		r := judgeRetention(tt.retention, "binlog_expire_logs_seconds = x", tt.retry, "mysql")
		if r.State != tt.want {
			t.Errorf("judgeRetention(%v, retry %v) = %+v, want %s", tt.retention, tt.retry, r, tt.want)
		}
	}
	r := judgeRetention(6*h, "expire_logs_days = 0.25", 36*h, "mariadb")
	if !strings.Contains(r.Remedy, "SET GLOBAL expire_logs_days = 2") || !strings.Contains(r.Message, "6h") || !strings.Contains(r.Message, "1d12h") {
		t.Errorf("mariadb retention alert: %+v", r)
	}
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1d": 24 * time.Hour, "6h": 6 * time.Hour, "30m": 30 * time.Minute, "600s": 10 * time.Minute,
		"86400000ms": 24 * time.Hour, "2D": 48 * time.Hour,
		// A bare number is milliseconds.
		"86400": 86400 * time.Millisecond, "86400000": 24 * time.Hour, " 3600000 ": time.Hour,
	} {
		if got, ok := parseTTL(in); !ok || got != want {
			t.Errorf("parseTTL(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "1w", "abc", "0", "-5", "+5", "-1d"} {
		if _, ok := parseTTL(bad); ok {
			t.Errorf("parseTTL(%q) accepted", bad)
		}
	}
	if m := adbBinlogTTL.FindStringSubmatch("CREATE TABLE `t` (...) DISTRIBUTED BY HASH(`id`) BINLOG=true binlog_ttl='1d' INDEX_ALL='Y'"); m == nil || m[1] != "1d" {
		t.Errorf("binlog_ttl not found: %q", m)
	}
	if !adbBinlogOn.MatchString("... ENGINE='XUANWU' BINLOG=true TABLE_PROPERTIES='{}'") || adbBinlogOn.MatchString("... BINLOG=false") {
		t.Error("BINLOG=true detection")
	}
}

func TestCanonicalCharset(t *testing.T) {
	for in, want := range map[string]string{
		"utf8mb3": "utf8", "utf8mb3_general_ci": "utf8_general_ci", "utf8_bin": "utf8_bin",
		"utf8mb4_bin": "utf8mb4_bin", "UTF8MB4": "utf8mb4", "latin1": "latin1",
	} {
		if got := canonicalCharset(in); got != want {
			t.Errorf("canonicalCharset(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0m", 90 * time.Second: "2m", 6 * time.Hour: "6h", 36 * time.Hour: "1d12h", 24*time.Hour + 5*time.Minute: "1d5m",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}
