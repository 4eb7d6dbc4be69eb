package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"shop/ent/auditlog"
	"shop/ent/user"
	"shop/internal/migrate"
	"shop/internal/testdb"
	"shop/modules/inventory/stock"
)

// env returns a getenv over the given variables, with fast password hashing.
func env(vars map[string]string) func(string) string {
	return func(k string) string {
		if k == "SHOP_BCRYPT_COST" {
			return "4"
		}
		return vars[k]
	}
}

func runCmd(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, env(map[string]string{"DATABASE_URL": url}), &out, &errOut)
	return out.String(), err
}

func TestCLI(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		url := testdb.URL(t, dia)
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := dir.Files()
		n := len(files)
		out, err := runCmd(t, url, "migrate", "status")
		if code, _ := exitCode(err); code != exitPending || !strings.Contains(out, fmt.Sprintf("0 applied, %d pending", n)) {
			t.Fatalf("status before up: %v\n%s", err, out)
		}
		if out, err := runCmd(t, url, "migrate", "up"); err != nil || !strings.HasPrefix(out, "applied ") {
			t.Fatalf("migrate up: %v\n%s", err, out)
		}
		if out, err := runCmd(t, url, "migrate", "up"); err != nil || !strings.Contains(out, "nothing to apply") {
			t.Fatalf("second migrate up: %v\n%s", err, out)
		}
		if out, err := runCmd(t, url, "migrate", "status"); err != nil || !strings.Contains(out, fmt.Sprintf("%d applied, 0 pending", n)) {
			t.Fatalf("status after up: %v\n%s", err, out)
		}

		t.Run("UserCreate", func(t *testing.T) {
			out, err := runCmd(t, url, "user", "create", "--email", "Boss@Example.com", "--password", "correct horse", "--role", "admin")
			if err != nil {
				t.Fatalf("user create: %v", err)
			}
			id, err := strconv.Atoi(strings.TrimSpace(out))
			if err != nil {
				t.Fatalf("user create printed %q, want an id", out)
			}
			db := testdb.Open(t, url)
			u := db.Client.User.GetX(context.Background(), id)
			if u.Email != "boss@example.com" || u.Role != user.RoleAdmin || u.PasswordHash == "correct horse" {
				t.Fatalf("user = %+v", u)
			}
			if _, err := runCmd(t, url, "user", "create", "--email", "boss@example.com", "--password", "another one", "--role", "customer"); err == nil || !strings.Contains(err.Error(), "conflict") {
				t.Fatalf("duplicate email: %v", err)
			}
			if _, err := runCmd(t, url, "user", "create", "--email", "x@example.com", "--password", "short", "--role", "root"); err == nil || !strings.Contains(err.Error(), "validation_failed") {
				t.Fatalf("bad input: %v", err)
			}
		})

		t.Run("SeedIsIdempotent", func(t *testing.T) {
			if _, err := runCmd(t, url, "seed"); err != nil {
				t.Fatal(err)
			}
			db := testdb.Open(t, url)
			ctx := context.Background()
			products := db.Client.Product.Query().CountX(ctx)
			cats := db.Client.Category.Query().CountX(ctx)
			moves := db.Client.InventoryMovement.Query().CountX(ctx)
			if products < 40 || cats < 5 {
				t.Fatalf("seed made %d products in %d categories", products, cats)
			}
			if out, err := runCmd(t, url, "seed"); err != nil || !strings.Contains(out, " 0 rows created") {
				t.Fatalf("second seed: %v %s", err, out)
			}
			if p, c, m := db.Client.Product.Query().CountX(ctx), db.Client.Category.Query().CountX(ctx), db.Client.InventoryMovement.Query().CountX(ctx); p != products || c != cats || m != moves {
				t.Fatalf("second seed changed counts: products %d→%d categories %d→%d movements %d→%d", products, p, cats, c, moves, m)
			}
			variants := db.Client.Variant.Query().CountX(ctx)
			if n := db.Client.AuditLog.Query().Where(auditlog.ActorIDIsNil()).CountX(ctx); n != products+variants+cats {
				t.Fatalf("%d audit rows by the system, want one per seeded row (%d)", n, products+variants+cats)
			}
			rec, err := stock.Reconcile(ctx, db.Client)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range rec.Discrepancies {
				t.Fatalf("product %d: stock %d, ledger %d", d.ProductID, d.Stock, d.LedgerSum)
			}
		})
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServe(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		url := testdb.URL(t, dia)
		addr := freeAddr(t)
		vars := map[string]string{"DATABASE_URL": url, "SHOP_ADDR": addr}

		err := run(context.Background(), []string{"serve"}, env(vars), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "pending") {
			t.Fatalf("serve with pending migrations: %v, want a refusal", err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"serve", "--migrate"}, env(vars), io.Discard, io.Discard) }()
		base := "http://" + addr
		waitHealthy(t, base, done)
		res, err := http.Get(base + "/readyz")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("readyz: %v %v", err, res)
		}
		res.Body.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v after shutdown, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop within 15s")
		}
	})
}

func waitHealthy(t *testing.T, base string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server did not become healthy")
}
