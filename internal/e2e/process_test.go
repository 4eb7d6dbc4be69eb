package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// TestMain removes the shop binary built for process tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// shopBinary builds cmd/shop once per test run (`go build`, no race
// detector: the process tests are about what a deployment does).
func shopBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "shop-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "shop")
		out, err := exec.Command("go", "build", "-o", binPath, "shop/cmd/shop").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// procEnv is the environment of a shop process on databaseURL.
func procEnv(databaseURL string, extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"SHOP_JWT_SECRET=test-secret-test-secret-test-secret",
		"SHOP_BCRYPT_COST=4",
		"SHOP_AUTH_RATE_LIMIT=0",
		"SHOP_LOG_LEVEL=warn",
	}, extra...)
}

// runShop runs a shop command to completion and returns its output.
func runShop(t testing.TB, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(shopBinary(t), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// shopProc is a `shop serve` subprocess.
type shopProc struct {
	t    testing.TB
	env  []string
	Base string
	addr string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startShopProc starts `shop serve` on a free port and waits until it is
// ready; it is killed when the test ends.
func startShopProc(t testing.TB, env []string) *shopProc {
	t.Helper()
	p := &shopProc{t: t, env: env, addr: freeAddr(t), log: &syncBuffer{}}
	p.Base = "http://" + p.addr
	p.Start()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() || os.Getenv("SHOP_TEST_PROC_LOG") != "" {
			t.Logf("shop serve's log:\n%s", p.log.String())
		}
	})
	return p
}

// Start (re)starts the process on its address and waits for /readyz.
func (p *shopProc) Start() {
	p.t.Helper()
	p.cmd = exec.Command(shopBinary(p.t), "serve")
	p.cmd.Env = append(append([]string{}, p.env...), "SHOP_ADDR="+p.addr)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(p.cmd, p.done)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := client.Get(p.Base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("shop serve exited:\n%s", p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("shop serve not ready after 60 s:\n%s", p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends SIGKILL (no graceful shutdown) and waits for the process.
func (p *shopProc) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// api is a small JSON client for process tests.
type api struct {
	t      testing.TB
	client *http.Client
	base   string
}

// call sends a JSON request and decodes a 2xx answer into out; any other
// status fails the test.
func (a api) call(method, path, token string, body, out any) {
	a.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	st, _, b, err := rawDo(context.Background(), a.client, method, a.base+path, token, raw, nil)
	if err != nil || st/100 != 2 {
		a.t.Fatalf("%s %s: %d %v %s", method, path, st, err, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatal(err)
		}
	}
}

// seedShop makes an admin (through the command line, as operators do), a
// category and a product of stock, and n customers, over the API of base.
func seedShop(t testing.TB, env []string, base string, stock, n int) (adminToken string, productID int, tokens []string) {
	t.Helper()
	email := fmt.Sprintf("admin-%d@example.com", time.Now().UnixNano())
	if out, err := runShop(t, env, "user", "create", "--email", email, "--password", "admin-password", "--role", "admin"); err != nil {
		t.Fatalf("shop user create: %v\n%s", err, out)
	}
	a := api{t: t, client: &http.Client{Timeout: 30 * time.Second}, base: base}
	var auth struct{ Token string }
	a.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "admin-password"}, &auth)
	var cat, prod struct{ ID int }
	slug := fmt.Sprintf("proc-%d", time.Now().UnixNano())
	a.call("POST", "/api/v1/admin/categories", auth.Token, map[string]any{"name": "Proc", "slug": slug}, &cat)
	a.call("POST", "/api/v1/admin/products", auth.Token, map[string]any{
		"category_id": cat.ID, "name": "Proc", "description": "load", "price": 100, "stock": stock}, &prod)
	for i := range n {
		var u struct{ Token string }
		a.call("POST", "/api/v1/auth/register", "", map[string]string{
			"email": fmt.Sprintf("load-%d-%d@example.com", time.Now().UnixNano(), i), "password": "password-load", "name": "Load"}, &u)
		tokens = append(tokens, u.Token)
	}
	return auth.Token, prod.ID, tokens
}
