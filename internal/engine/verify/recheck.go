package verify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
)

// Rechecker compares the rows incremental migration changed, a settle delay after each
// change: a row that differs then is compared once more after another delay, and reported
// only if it still differs while its source row stayed the same. It finds a row the
// migration got wrong long before a sweep of a large table reaches it.
type Rechecker struct {
	src, dst Server
	jobs     []recheckJob
	settle   time.Duration
	limits   *throttle.Limits
	// found receives each mismatch that persisted; checked the number of keys compared.
	found   func([]Mismatch)
	checked func(int)

	mu    sync.Mutex
	queue []recheck
}

type recheckJob struct {
	name     string
	src, dst side
	keyCols  []schema.Column
}

// recheck is a key waiting to be compared.
type recheck struct {
	job int
	key []any
	due time.Time
	// source is the source row's hash when the row first differed; "" on the first look.
	source string
	second bool
}

// maxQueued bounds the keys waiting; more are dropped, and left to the sweeps.
const maxQueued = 100000

// recheckBatch is how many keys one query compares.
const recheckBatch = 200

// NewRechecker returns a rechecker of the jobs' tables (those with a key, and which
// verification can compare: see Result.Unverified), reporting through found and checked,
// which are called from Run's goroutine.
func NewRechecker(ctx context.Context, src, dst Server, jobs []tablemap.Table, settle time.Duration, limits *throttle.Limits, found func([]Mismatch), checked func(int)) (*Rechecker, error) {
	r := &Rechecker{src: src, dst: dst, settle: settle, limits: limits, found: found, checked: checked}
	for _, j := range jobs {
		rj := recheckJob{name: j.Name()}
		var reason string
		var err error
		if rj.src, rj.dst, reason, err = prepare(ctx, src, dst, j); err != nil {
			return nil, err
		}
		if len(j.Source.Key) > 0 && reason == "" {
			cols, err := tablemap.KeyColumns(j.Source)
			if err != nil {
				return nil, err
			}
			rj.keyCols = cols
		}
		r.jobs = append(r.jobs, rj)
	}
	return r, nil
}

// Add queues keys of job's table, changed just now, to be compared after the settle delay.
func (r *Rechecker) Add(job int, keys [][]any) {
	if len(r.jobs[job].keyCols) == 0 {
		return
	}
	due := time.Now().Add(r.settle)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if len(r.queue) >= maxQueued {
			return
		}
		r.queue = append(r.queue, recheck{job: job, key: k, due: due})
	}
}

// Run compares the queued keys as they come due, until ctx ends.
func (r *Rechecker) Run(ctx context.Context) error {
	tick := time.NewTicker(r.settle/4 + 10*time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		now := time.Now()
		r.mu.Lock()
		var due []recheck
		keep := r.queue[:0]
		for _, k := range r.queue {
			if k.due.After(now) {
				keep = append(keep, k)
			} else {
				due = append(due, k)
			}
		}
		r.queue = keep
		r.mu.Unlock()
		for len(due) > 0 {
			n := 1
			for n < len(due) && n < recheckBatch && due[n].job == due[0].job && due[n].second == due[0].second {
				n++
			}
			if err := r.compare(ctx, due[:n]); err != nil {
				return err
			}
			due = due[n:]
		}
	}
}

// compare checks keys of one job, all first looks or all second looks.
func (r *Rechecker) compare(ctx context.Context, keys []recheck) error {
	j := r.jobs[keys[0].job]
	if err := r.limits.WaitQueries(ctx, 1); err != nil {
		return err
	}
	args := make([][]any, len(keys))
	for i, k := range keys {
		args[i] = k.key
	}
	src, err := j.src.byKeys(ctx, j.keyCols, args)
	if err != nil {
		return fmt.Errorf("checking changed rows of %s on the source: %w", j.name, err)
	}
	dst, err := j.dst.byKeys(ctx, j.keyCols, args)
	if err != nil {
		return fmt.Errorf("checking changed rows of %s on the destination: %w", j.name, err)
	}
	r.checked(len(keys))
	second := keys[0].second
	var again []recheck
	var found []Mismatch
	for id, s := range src {
		d, ok := dst[id]
		if ok && d.hash == s.hash {
			continue
		}
		kind := Missing
		if ok {
			kind = Differs
		}
		if !second {
			again = append(again, recheck{job: keys[0].job, key: s.args(j.keyCols), due: time.Now().Add(r.settle), source: s.hash, second: true})
			continue
		}
		for _, k := range keys {
			if k.source == s.hash && sameKey(k.key, s.args(j.keyCols)) {
				found = append(found, Mismatch{Table: j.name, Key: s.shown(j.keyCols), Kind: kind})
				break
			}
		}
	}
	for id, d := range dst {
		if _, ok := src[id]; ok {
			continue
		}
		if !second {
			again = append(again, recheck{job: keys[0].job, key: d.args(j.keyCols), due: time.Now().Add(r.settle), second: true})
			continue
		}
		for _, k := range keys {
			if k.source == "" && sameKey(k.key, d.args(j.keyCols)) {
				found = append(found, Mismatch{Table: j.name, Key: d.shown(j.keyCols), Kind: Extra})
				break
			}
		}
	}
	if len(again) > 0 {
		r.mu.Lock()
		r.queue = append(r.queue, again...)
		r.mu.Unlock()
	}
	if len(found) > 0 {
		r.found(found)
	}
	return nil
}

func sameKey(a, b []any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// byKeys reads the hash of each row whose key is one of keys, by the key's bytes.
func (s side) byKeys(ctx context.Context, keyCols []schema.Column, keys [][]any) (map[string]keyedRow, error) {
	cols := make([]string, len(s.key))
	for i, k := range s.key {
		cols[i] = dialect.QuoteIdent(k)
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	tuples := make([]string, len(keys))
	var args []any
	for i, k := range keys {
		tuples[i] = tuple
		args = append(args, k...)
	}
	pred := "(" + strings.Join(cols, ", ") + ") IN (" + strings.Join(tuples, ", ") + ")"
	if s.where != "" {
		pred = "(" + s.where + ") AND " + pred
	}
	return s.keyed(ctx, keyCols, pred, args)
}
