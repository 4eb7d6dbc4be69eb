package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServe_LogsServingOnceBound: the "serving" line names the bound
// address (the real port when SHOP_ADDR asks for :0), and the server answers
// there the moment the line is written, so a supervisor waiting for it never
// connects too early.
func TestServe_LogsServingOnceBound(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"),
		"SHOP_ADDR":    "127.0.0.1:0",
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--migrate"}, env(vars), io.Discard, pw)
		pw.Close()
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	// Read the log on its own goroutine: the server's later lines must not
	// block on the pipe while the test talks to it.
	logLines := make(chan []byte, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case logLines <- append([]byte(nil), sc.Bytes()...):
			default:
			}
		}
		close(logLines)
	}()

	for raw := range logLines {
		var line struct {
			Msg      string `json:"msg"`
			Addr     string `json:"addr"`
			Database string `json:"database"`
		}
		if err := json.Unmarshal(raw, &line); err != nil || line.Msg != "serving" {
			continue
		}
		if strings.HasSuffix(line.Addr, ":0") || line.Database != "sqlite3" {
			t.Fatalf("serving line = %s, want the bound address and the database", raw)
		}
		c := &http.Client{Timeout: 5 * time.Second}
		res, err := c.Get("http://" + line.Addr + "/healthz")
		if err != nil {
			t.Fatalf("right after the serving line: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("healthz = %d", res.StatusCode)
		}
		return
	}
	t.Fatal("serve exited without logging serving")
}
