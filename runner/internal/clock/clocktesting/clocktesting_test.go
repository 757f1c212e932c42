package clocktesting

import (
	"context"
	"testing"
	"time"
)

// After fires only when Advance reaches it; tickers tick once per Advance that passes them
// and not after Stop.
func TestFake(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := New(start)
	ch := f.After(2 * time.Second)
	tk := f.NewTicker(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Second)
	select {
	case <-ch:
		t.Fatal("After(2s) fired after 1s")
	default:
	}
	if got := <-tk.C(); !got.Equal(start.Add(time.Second)) {
		t.Fatalf("tick at %s, want %s", got, start.Add(time.Second))
	}
	f.Advance(5 * time.Second)
	if got := <-ch; !got.Equal(start.Add(6 * time.Second)) {
		t.Fatalf("After fired with %s, want %s", got, start.Add(6*time.Second))
	}
	<-tk.C()
	tk.Stop()
	f.Advance(time.Second)
	select {
	case <-tk.C():
		t.Fatal("a stopped ticker ticked")
	default:
	}
	if f.Waiters() != 0 || len(f.Afters()) != 1 || f.Afters()[0] != 2*time.Second {
		t.Fatalf("waiters %d, afters %v", f.Waiters(), f.Afters())
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := f.BlockUntil(short, 1); err == nil {
		t.Fatal("BlockUntil returned without a waiter")
	}
}
