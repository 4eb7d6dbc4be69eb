package testdb

import (
	"testing"

	"shop/internal/pgcluster"
)

// Cluster is a private PostgreSQL server for one test, in its own data
// directory on a random free port (internal/pgcluster), so a test may stop
// and start it without touching the shared server other tests use.
type Cluster struct {
	t testing.TB
	*pgcluster.Cluster
}

// StartCluster initialises and starts a private cluster (trust auth,
// superuser postgres, fsync off, 100 connections), removed when the test
// ends. It fails the test when the binaries are missing: it never skips.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := pgcluster.Start(pgcluster.Options{Settings: []string{"fsync=off", "max_connections=100"}})
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(c.Remove)
	return &Cluster{t: t, Cluster: c}
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	if err := c.Cluster.Start(); err != nil {
		c.t.Fatalf("testdb: %v", err)
	}
}

// Stop stops the server the hard way (immediate: like a crash or a pulled
// cable, no goodbye to clients).
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.Cluster.Stop(); err != nil {
		c.t.Fatalf("testdb: %v", err)
	}
}
