package console

import (
	"testing"
	"time"
)

func TestRingKeepsTheLastSamplesInOrder(t *testing.T) {
	r := newRing(3)
	if got := r.list(); len(got) != 0 {
		t.Fatalf("empty ring lists %v", got)
	}
	at := time.Unix(0, 0)
	for i := range 5 {
		r.add(Sample{Time: at.Add(time.Duration(i) * time.Second), Rows: int64(i)})
		want := max(0, i-2)
		got := r.list()
		if len(got) != min(i+1, 3) || got[0].Rows != int64(want) || got[len(got)-1].Rows != int64(i) {
			t.Fatalf("after %d adds: %v, want rows %d..%d", i+1, got, want, i)
		}
	}
}
