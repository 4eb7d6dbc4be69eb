// Package pgbouncer starts a private pgbouncer in transaction mode in front
// of a PostgreSQL server, on a random free loopback port. The PgBouncer
// test (internal/e2e through testdb.StartPgBouncer) and the load benchmark
// (internal/tools/loadbench -pgbouncer) share it, so both measure and test
// the same deployment.
package pgbouncer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ErrNotInstalled is returned by Start when no pgbouncer binary is found.
var ErrNotInstalled = errors.New("pgbouncer is not installed (apt-get install pgbouncer)")

// DefaultPoolSize is pgbouncer's server connections per database/user pair
// when Options.PoolSize is 0 (the same as the shop's default
// SHOP_DB_MAX_OPEN_CONNS, so one replica is not throttled by the pooler).
const DefaultPoolSize = 20

// Options tunes the pgbouncer started.
type Options struct {
	PoolSize int // default_pool_size; 0: DefaultPoolSize
}

// PgBouncer is a running pgbouncer process; Stop ends it.
type PgBouncer struct {
	Port     int
	PoolSize int
	cmd      *exec.Cmd
	done     chan struct{}
	dir      string
}

// Binary finds the pgbouncer executable: PATH, then Debian's /usr/sbin
// (not on a non-root PATH), then /usr/local/bin.
func Binary() (string, error) {
	if bin, err := exec.LookPath("pgbouncer"); err == nil {
		return bin, nil
	}
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/bin/pgbouncer"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Start runs pgbouncer (pool_mode=transaction, auth_type=trust) in front of
// the server of serverURL (any database URL on it: host, port and user are
// taken) and waits until it listens. The caller must Stop it.
func Start(serverURL string, o Options) (*PgBouncer, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(serverURL)
	if err != nil {
		return nil, err
	}
	if o.PoolSize <= 0 {
		o.PoolSize = DefaultPoolSize
	}
	dir, err := os.MkdirTemp("", "shop-pgbouncer-")
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(dir, 0o755)
	fail := func(err error) (*PgBouncer, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	b := &PgBouncer{Port: ln.Addr().(*net.TCPAddr).Port, PoolSize: o.PoolSize, dir: dir, done: make(chan struct{})}
	ln.Close()
	logFile := filepath.Join(dir, "pgbouncer.log")
	port := target.Port()
	if port == "" {
		port = "5432"
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = %d
ignore_startup_parameters = extra_float_digits,options
logfile = %s
`, target.Hostname(), port, b.Port, filepath.Join(dir, "userlist.txt"), o.PoolSize, logFile)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": fmt.Sprintf("%q \"\"\n", target.User.Username())} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return fail(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		// pgbouncer refuses to run as root: drop to the postgres OS user.
		if u, err := user.Lookup("postgres"); err == nil {
			args = append([]string{"-u", "postgres"}, args...)
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			_ = os.Chown(dir, uid, gid)
		}
	}
	var out bytes.Buffer
	b.cmd = exec.Command(bin, args...)
	b.cmd.Stdout, b.cmd.Stderr = &out, &out
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.cmd.Start(); err != nil {
		return fail(err)
	}
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), time.Second)
		if err == nil {
			c.Close()
			return b, nil
		}
		select {
		case <-b.done:
			log, _ := os.ReadFile(logFile)
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgbouncer exited: %s\n%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			b.Stop()
			return nil, fmt.Errorf("pgbouncer did not listen on %d: %s", b.Port, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends pgbouncer (SIGTERM, then SIGKILL after 5 s) and removes its
// files. A second call does nothing.
func (b *PgBouncer) Stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	_ = os.RemoveAll(b.dir)
}

// URL rewrites a database URL of the server behind pgbouncer to go through
// it (same user and database).
func (b *PgBouncer) URL(direct string) (string, error) {
	u, err := url.Parse(direct)
	if err != nil {
		return "", err
	}
	u.Host = fmt.Sprintf("127.0.0.1:%d", b.Port)
	return u.String(), nil
}
