package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// closedURL returns an http URL on a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// A cluster client moves past a runner it cannot reach, for every method, sticks to the
// runner that answered, and takes a runner's error answer as the answer.
func TestClusterClientTriesTheNextEndpoint(t *testing.T) {
	var hits atomic.Int32
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"boom"}`))
			return
		}
		w.Write([]byte(`{"status":"ok","version":"v"}`))
	}))
	defer live.Close()
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the second live runner got %s %s: the client should stay with the first that answered", r.Method, r.URL.Path)
	}))
	defer second.Close()

	c, err := NewClusterClient([]string{closedURL(t), live.URL, second.URL}, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Health(context.Background())
	if err != nil || h.Status != "ok" {
		t.Fatalf("health through a dead first endpoint = %+v, %v", h, err)
	}
	// A POST that was refused by the dead endpoint would move on too; this one reaches the
	// live runner, whose error is the answer.
	_, err = c.CreateTask(context.Background(), TaskSpec{})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("POST to a runner answering 500: %v, want its error", err)
	}
	if hits.Load() != 2 {
		t.Fatalf("live runner got %d requests, want 2", hits.Load())
	}

	dead, err := NewClusterClient([]string{closedURL(t), closedURL(t)}, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.CreateTask(context.Background(), TaskSpec{}); err == nil || strings.Count(err.Error(), "cannot reach the runner") != 2 {
		t.Fatalf("no runner reachable: %v, want both endpoints named", err)
	}
	if _, err := NewClusterClient(nil, "tok", nil); err == nil {
		t.Fatal("a client without endpoints was accepted")
	}
	if _, err := NewClusterClient([]string{"127.0.0.1:8765"}, "tok", nil); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Fatalf("endpoint without scheme: %v", err)
	}
}

// A create whose connection breaks after it was sent goes to the next runner with the same
// idempotency key; every create gets a key of its own, and other requests none.
func TestClusterClientResendsCreatesWithTheirKey(t *testing.T) {
	var keys []string
	var mu sync.Mutex
	record := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.Method+" "+r.Header.Get(IdempotencyKey))
	}
	breaking := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close() // the request arrived; the answer never leaves
	}))
	defer breaking.Close()
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":"task-1"}`))
	}))
	defer live.Close()
	c, err := NewClusterClient([]string{breaking.URL, live.URL}, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.CreateTask(context.Background(), TaskSpec{})
	if err != nil || task.ID != "task-1" {
		t.Fatalf("create through a runner that broke the connection: %+v, %v", task, err)
	}
	c2, err := NewClusterClient([]string{breaking.URL, live.URL}, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.CreateTask(context.Background(), TaskSpec{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.GetTask(context.Background(), "task-1"); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 || keys[0] != keys[1] || keys[2] != keys[3] || keys[0] == keys[2] || keys[0] == "POST " || keys[4] != "GET " {
		t.Fatalf("requests with their keys: %q; want each create's key sent twice, two creates' keys different, none on GET", keys)
	}
}
