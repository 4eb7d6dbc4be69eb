package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// PostgresBinDir holds initdb and pg_ctl (Debian's PostgreSQL 15); set
// SHOP_TEST_PG_BIN to use another.
func PostgresBinDir() string {
	if d := os.Getenv("SHOP_TEST_PG_BIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// Cluster is a private PostgreSQL server for one test, in its own data
// directory on a random free port, so a test may stop and start it
// without touching the shared server other tests use.
type Cluster struct {
	t    testing.TB
	dir  string
	Port int
	cred *syscall.Credential // run as the postgres OS user when we are root
}

// StartCluster initialises and starts a private cluster (trust auth,
// superuser postgres), stopped when the test ends. It fails the test when
// the binaries are missing: it never skips.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	// Not t.TempDir: its parent is private to root, and the server may run
	// as the postgres OS user.
	parent, err := os.MkdirTemp("", "shop-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	c := &Cluster{t: t, dir: filepath.Join(parent, "pg")}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testdb: running as root needs the postgres OS user for initdb: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(parent, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	c.Start()
	t.Cleanup(func() { _ = c.cmd("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop").Run() })
	return c
}

// URL is the DATABASE_URL of database name on the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=100", c.Port)
	c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(filepath.Dir(c.dir), "pg.log"), "-o", opts, "-w", "-t", "60", "start")
}

// Stop stops the server the hard way (immediate: like a crash or a pulled
// cable, no goodbye to clients).
func (c *Cluster) Stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
}

func (c *Cluster) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(PostgresBinDir(), name), args...)
	cmd.Dir = filepath.Dir(c.dir)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.cmd(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("testdb: %s: %v\n%s", name, err, out)
	}
}
