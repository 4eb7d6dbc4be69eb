package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeDebug checks the private listener serves pprof and stops with
// its context.
func TestServeDebug(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := serveDebug(ctx, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	res, err := http.Get(base + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("pprof: status %d: %.200s", res.StatusCode, body)
	}
	cancel()
	for i := 0; i < 100; i++ {
		res, err := http.Get(base + "/debug/pprof/")
		if err != nil {
			return
		}
		res.Body.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the debug listener still answers after its context ended")
}
