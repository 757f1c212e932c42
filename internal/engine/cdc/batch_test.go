package cdc

import (
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
)

// planned returns a plan for a table of the given name, for changes built by hand.
func planned(t *testing.T, name string) *tablePlan {
	t.Helper()
	tb := ordersTable()
	tb.DestTable = name
	if err := tb.replan(mariadb(t)); err != nil {
		t.Fatal(err)
	}
	return tb.plan
}

func TestCoalesceKeepsTheLastChangePerRow(t *testing.T) {
	a, b := planned(t, "a"), planned(t, "b")
	in := []change{
		{plan: a, key: "1", values: []any{"v1"}},
		{plan: b, key: "1", delete: true},
		{plan: a, key: "1", values: []any{"v2"}},
		{plan: a, key: "2", delete: true},
		{plan: a, key: "3", values: []any{"x"}},
		{plan: a, key: "3", delete: true},
	}
	got := coalesce(in)
	want := []struct {
		p      *tablePlan
		key    string
		delete bool
	}{{a, "2", true}, {a, "3", true}, {a, "1", false}, {b, "1", true}}
	if len(got) != len(want) {
		t.Fatalf("coalesce gave %d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].plan != w.p || got[i].key != w.key || got[i].delete != w.delete {
			t.Errorf("change %d = %s %s delete=%v, want %s %s delete=%v", i, got[i].table().DestTable, got[i].key, got[i].delete, w.p.t.DestTable, w.key, w.delete)
		}
	}
	if got[2].values[0] != "v2" {
		t.Errorf("row a/1 kept %v, want the last image v2", got[2].values)
	}
	// A table with another unique key keeps the source order.
	a.t.OrderSensitive = true
	if got := coalesce(in); len(got) != len(in) {
		t.Errorf("order-sensitive batch was coalesced to %d changes", len(got))
	}
}

func TestEncodeKeyTellsKeysApart(t *testing.T) {
	keys := [][]any{
		{"a;b"}, {"a", "b"}, {[]byte("a;b")}, {"s1:a"}, {int64(1), int64(23)}, {int64(12), int64(3)},
		{nil}, {""}, {int64(-1)}, {uint64(1)}, {"1"},
	}
	seen := map[string]int{}
	for i, k := range keys {
		e := encodeKey(k)
		if j, dup := seen[e]; dup {
			t.Errorf("keys %v and %v both encode as %q", keys[j], k, e)
		}
		seen[e] = i
	}
	if encodeKey([]any{int64(7), "x"}) != encodeKey([]any{int64(7), "x"}) {
		t.Error("equal keys encode differently")
	}
}

func TestWorkerKeepsARowOnOneWorker(t *testing.T) {
	p := planned(t, "t")
	counts := make([]int, 4)
	for i := range 1000 {
		c := change{plan: p, key: encodeKey([]any{int64(i)})}
		w := worker(c, 4)
		if again := worker(change{plan: p, key: c.key, delete: true}, 4); again != w {
			t.Fatalf("row %d went to worker %d, then %d", i, w, again)
		}
		counts[w]++
	}
	for w, n := range counts {
		if n < 150 {
			t.Errorf("worker %d got %d of 1000 rows: the split is lopsided %v", w, n, counts)
		}
	}
}

func at(pos uint64) checkpoint.Applied {
	return checkpoint.Applied{Location: binlog.Location{File: "b.000001", Pos: pos}}
}

func TestSplitByKeyAmongWorkers(t *testing.T) {
	p := planned(t, "t")
	var changes []change
	for i := range parallelMin {
		end := at(100)
		changes = append(changes, change{plan: p, key: encodeKey([]any{int64(i)}), end: &end})
	}
	parts, ordered := split(changes, 4, nil)
	if ordered {
		t.Fatalf("a batch of %d changes to one table without other unique keys was ordered", len(changes))
	}
	total := 0
	for w, part := range parts {
		for _, c := range part {
			if worker(c, 4) != w {
				t.Errorf("row %q is in worker %d's share, its worker is %d", c.key, w, worker(c, 4))
			}
		}
		total += len(part)
	}
	if total != len(changes) {
		t.Errorf("the shares hold %d changes, want %d", total, len(changes))
	}

	// Small batches and order-sensitive tables go out as one transaction, in order.
	if parts, ordered := split(changes[:parallelMin-1], 4, nil); !ordered || len(parts[0]) != parallelMin-1 {
		t.Errorf("a batch of %d changes: ordered=%v, first share %d", parallelMin-1, ordered, len(parts[0]))
	}
	p.t.OrderSensitive = true
	if parts, ordered := split(changes, 4, nil); !ordered || len(parts[0]) != len(changes) {
		t.Errorf("an order-sensitive batch: ordered=%v, first share %d", ordered, len(parts[0]))
	}
}

func TestSplitSkipsWhatAWorkerCommittedBeforeARestart(t *testing.T) {
	p := planned(t, "t")
	var changes []change
	for i := range 2 * parallelMin {
		end := at(uint64(100 + i%2*100))
		changes = append(changes, change{plan: p, key: encodeKey([]any{int64(i)}), end: &end})
	}
	// Worker 1 committed up to 150 before the restart, the others up to 50.
	done := []checkpoint.Applied{at(50), at(150), at(50), at(50)}
	parts, _ := split(changes, 4, done)
	for w, part := range parts {
		for _, c := range part {
			if w == 1 && c.end.Pos <= 150 {
				t.Errorf("worker 1 applies %q of position %d again, after committing 150", c.key, c.end.Pos)
			}
		}
	}
	kept := 0
	for _, c := range changes {
		if worker(c, 4) != 1 || c.end.Pos > 150 {
			kept++
		}
	}
	if n := len(parts[0]) + len(parts[1]) + len(parts[2]) + len(parts[3]); n != kept {
		t.Errorf("the shares hold %d changes, want %d", n, kept)
	}
}

func TestFilteredAppliesVerdicts(t *testing.T) {
	p := planned(t, "t")
	in := []change{
		{plan: p, key: "1", values: []any{int64(1)}},                                                                   // no filter
		{plan: p, key: "2", values: []any{int64(2)}, keyVals: []any{int64(2)}, image: []any{int64(2)}},                 // kept
		{plan: p, key: "3", values: []any{int64(3)}, keyVals: []any{int64(3)}, image: []any{int64(3)}},                 // rejected insert: dropped
		{plan: p, key: "4", values: []any{int64(4)}, keyVals: []any{int64(4)}, image: []any{int64(4)}, orDelete: true}, // rejected update: delete
	}
	got, err := filtered(in, []bool{false, true, false, false})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("filtered gave %d changes, want 3: %+v", len(got), got)
	}
	if got[0].key != "1" || got[1].key != "2" || got[1].delete || got[1].image != nil {
		t.Errorf("kept changes are %+v, %+v", got[0], got[1])
	}
	if got[2].key != "4" || !got[2].delete || len(got[2].values) != 1 || got[2].values[0] != int64(4) {
		t.Errorf("the update that left the filter became %+v, want a delete of key 4", got[2])
	}
}
