package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/pgbouncer"
)

// server is one shop binary serving the bench database as its own process,
// so its CPU time can be read from /proc apart from the load generator's.
type server struct {
	label, bin, base string
	cmd              *exec.Cmd
	db               *database.DB // its own bench database
	url              string
	env              []string // extra environment of `shop serve`
}

// parseServers reads -shop: "label=path,label=path"; empty builds
// ./cmd/shop of this checkout.
func parseServers(spec string) ([]*server, error) {
	if spec == "" {
		bin := filepath.Join(os.TempDir(), fmt.Sprintf("shop-loadbench-%d", os.Getpid()))
		out, err := exec.Command("go", "build", "-o", bin, "./cmd/shop").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("build ./cmd/shop: %v\n%s", err, out)
		}
		return []*server{{label: "shop", bin: bin}}, nil
	}
	var out []*server
	for _, part := range strings.Split(spec, ",") {
		label, bin, ok := strings.Cut(part, "=")
		if !ok {
			label, bin = filepath.Base(part), part
		}
		out = append(out, &server{label: label, bin: bin})
	}
	return out, nil
}

// start runs `shop serve` on a free loopback port and waits until healthy.
func (s *server) start(ctx context.Context, dbURL, secret string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	s.cmd = exec.CommandContext(ctx, s.bin, "serve")
	s.cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "SHOP_ADDR="+addr, "SHOP_JWT_SECRET="+secret)
	s.cmd.Env = append(s.cmd.Env, s.env...)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	s.base = "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(s.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("%s did not become healthy on %s", s.label, addr)
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

// cpu is the process's user+system CPU time so far (readStat).
func (s *server) cpu() time.Duration {
	st, err := readStat(s.cmd.Process.Pid)
	if err != nil {
		return 0
	}
	return st.self
}

// startViaPgBouncer starts, when o.pgbouncer, a private pgbouncer in
// transaction mode in front of direct's database (as many server
// connections as the shop's own pool, so the pooler adds a hop, not a
// tighter limit) and a second `shop serve` of the same binary through it
// with SHOP_DB_POOLER=transaction: W1 is then measured both ways in one
// sitting, on the same database. Without pgbouncer it says so and returns
// no server.
func startViaPgBouncer(ctx context.Context, o options, direct *server, cfg config.Config) (*server, func(), error) {
	nop := func() {}
	if !o.pgbouncer {
		return nil, nop, nil
	}
	pb, err := pgbouncer.Start(direct.url, pgbouncer.Options{PoolSize: cfg.DBMaxOpenConns})
	if errors.Is(err, pgbouncer.ErrNotInstalled) {
		fmt.Printf("# W1 via PgBouncer: skipped, %v; -pgbouncer=false silences this\n\n", err)
		return nil, nop, nil
	}
	if err != nil {
		return nil, nop, err
	}
	bouncedURL, err := pb.URL(direct.url)
	if err != nil {
		pb.Stop()
		return nil, nop, err
	}
	via := &server{label: direct.label + " via PgBouncer", bin: direct.bin, db: direct.db, url: direct.url, env: []string{"SHOP_DB_POOLER=transaction"}}
	stop := func() { via.stop(); pb.Stop() }
	if err := via.start(ctx, bouncedURL, cfg.JWTSecret); err != nil {
		stop()
		return nil, nop, err
	}
	fmt.Printf("# W1 via PgBouncer: pgbouncer (transaction mode, default_pool_size=%d) on 127.0.0.1:%d, shop serve with SHOP_DB_POOLER=transaction\n", pb.PoolSize, pb.Port)
	return via, stop, nil
}
