// Package pgcluster runs a private PostgreSQL cluster: initdb in a
// temporary directory, the server on a random free loopback port. Tests
// that stop and start a server (internal/testdb.StartCluster) and the load
// benchmark (internal/tools/loadbench, which measures the CPU of the
// server's processes and reads pg_stat_statements) share it.
package pgcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// BinDir holds initdb and pg_ctl (Debian's PostgreSQL 15); set
// SHOP_TEST_PG_BIN to use another.
func BinDir() string {
	if d := os.Getenv("SHOP_TEST_PG_BIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// Options are the cluster's server settings.
type Options struct {
	// Settings are name=value pairs given to the server as -c options
	// (e.g. "fsync=off", "shared_preload_libraries=pg_stat_statements");
	// everything else keeps PostgreSQL's default.
	Settings []string
}

// Cluster is a private PostgreSQL server in its own data directory.
type Cluster struct {
	dir      string // the data directory; its parent holds the log
	Port     int
	settings []string
	cred     *syscall.Credential // run as the postgres OS user when we are root
}

// Start initialises and starts a private cluster (trust auth, superuser
// postgres). Remove stops it and deletes its files.
func Start(o Options) (*Cluster, error) {
	parent, err := os.MkdirTemp("", "shop-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: filepath.Join(parent, "pg"), settings: o.Settings}
	fail := func(err error) (*Cluster, error) {
		_ = os.RemoveAll(parent)
		return nil, err
	}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("pgcluster: running as root needs the postgres OS user for initdb: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(parent, uid, gid); err != nil {
			return fail(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	c.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if err := c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		return fail(err)
	}
	if err := c.Start(); err != nil {
		return fail(err)
	}
	return c, nil
}

// URL is the DATABASE_URL of database name on the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := []string{fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", c.Port)}
	for _, s := range c.settings {
		opts = append(opts, "-c "+s)
	}
	return c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(filepath.Dir(c.dir), "pg.log"), "-o", strings.Join(opts, " "), "-w", "-t", "60", "start")
}

// Stop stops the server the hard way (immediate: like a crash or a pulled
// cable, no goodbye to clients).
func (c *Cluster) Stop() error {
	return c.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
}

// Remove stops the server, if it runs, and deletes the cluster's files.
func (c *Cluster) Remove() {
	_ = c.cmd("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop").Run()
	_ = os.RemoveAll(filepath.Dir(c.dir))
}

// PostmasterPID is the process id of the running server's postmaster (the
// first line of postmaster.pid); every backend is its child.
func (c *Cluster) PostmasterPID() (int, error) {
	raw, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

func (c *Cluster) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(BinDir(), name), args...)
	cmd.Dir = filepath.Dir(c.dir)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) run(name string, args ...string) error {
	if out, err := c.cmd(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: %s: %v\n%s", name, err, out)
	}
	return nil
}
