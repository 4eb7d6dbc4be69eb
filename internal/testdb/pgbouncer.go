package testdb

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// RequirePgBouncerEnv names the variable that makes a missing pgbouncer a
// test failure instead of a skip. CI (.ci/run) installs pgbouncer and sets
// it, so the PgBouncer path can't silently stop being tested there.
const RequirePgBouncerEnv = "SHOP_TEST_REQUIRE_PGBOUNCER"

// PgBouncer is a pgbouncer process in transaction mode in front of the test
// PostgreSQL server, on a random free port, for one test.
type PgBouncer struct {
	Port int
	log  string
}

// StartPgBouncer starts pgbouncer (pool_mode=transaction, auth_type=trust)
// in front of the server of PostgresAdminURL and stops it when the test
// ends. Without the binary it skips, or fails when RequirePgBouncerEnv is
// set.
func StartPgBouncer(t testing.TB) *PgBouncer {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/bin/pgbouncer"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		if os.Getenv(RequirePgBouncerEnv) != "" {
			t.Fatalf("pgbouncer is not installed but %s is set (apt-get install pgbouncer)", RequirePgBouncerEnv)
		}
		t.Skipf("pgbouncer is not installed (apt-get install pgbouncer); set %s=1 to make this a failure", RequirePgBouncerEnv)
	}
	target, err := url.Parse(PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "shop-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &PgBouncer{Port: ln.Addr().(*net.TCPAddr).Port, log: filepath.Join(dir, "pgbouncer.log")}
	ln.Close()
	dbUser := target.User.Username()
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
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = %s
`, target.Hostname(), target.Port(), b.Port, filepath.Join(dir, "userlist.txt"), b.log)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": fmt.Sprintf("%q \"\"\n", dbUser)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		// pgbouncer refuses to run as root: drop to the postgres OS user.
		if _, err := user.Lookup("postgres"); err == nil {
			args = append([]string{"-u", "postgres"}, args...)
			if u, err := user.Lookup("postgres"); err == nil {
				uid, _ := strconv.Atoi(u.Uid)
				gid, _ := strconv.Atoi(u.Gid)
				_ = os.Chown(dir, uid, gid)
			}
		}
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), time.Second)
		if err == nil {
			c.Close()
			return b
		}
		select {
		case <-done:
			log, _ := os.ReadFile(b.log)
			t.Fatalf("pgbouncer exited: %s\n%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not listen on %d: %s", b.Port, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL rewrites a database URL of the test server to go through pgbouncer.
func (b *PgBouncer) URL(t testing.TB, direct string) string {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = fmt.Sprintf("127.0.0.1:%d", b.Port)
	return u.String()
}
