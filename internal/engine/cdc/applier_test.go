package cdc

import "testing"

func TestCoalesceKeepsTheLastChangePerRow(t *testing.T) {
	a, b := &Table{DestDB: "d", DestTable: "a"}, &Table{DestDB: "d", DestTable: "b"}
	in := []change{
		{table: a, key: "1", values: []any{"v1"}},
		{table: b, key: "1", delete: true},
		{table: a, key: "1", values: []any{"v2"}},
		{table: a, key: "2", delete: true},
		{table: a, key: "3", values: []any{"x"}},
		{table: a, key: "3", delete: true},
	}
	got := coalesce(in)
	want := []struct {
		t      *Table
		key    string
		delete bool
	}{{a, "2", true}, {a, "3", true}, {a, "1", false}, {b, "1", true}}
	if len(got) != len(want) {
		t.Fatalf("coalesce gave %d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].table != w.t || got[i].key != w.key || got[i].delete != w.delete {
			t.Errorf("change %d = %s %s delete=%v, want %s %s delete=%v", i, got[i].table.DestTable, got[i].key, got[i].delete, w.t.DestTable, w.key, w.delete)
		}
	}
	if got[2].values[0] != "v2" {
		t.Errorf("row a/1 kept %v, want the last image v2", got[2].values)
	}
	// A table with another unique key keeps the source order.
	a.OrderSensitive = true
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
	tb := &Table{DestDB: "d", DestTable: "t"}
	counts := make([]int, 4)
	for i := range 1000 {
		c := change{table: tb, key: encodeKey([]any{int64(i)})}
		w := worker(c, 4)
		if again := worker(change{table: tb, key: c.key, delete: true}, 4); again != w {
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
