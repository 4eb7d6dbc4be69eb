package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shopProcess runs the test binary as `shop args...` (TestMain) with only
// DATABASE_URL and SHOP_ADDR set, and returns its exit code and output.
func shopProcess(t *testing.T, dbURL string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = []string{"SHOP_TEST_AS_SHOP=1", "DATABASE_URL=" + dbURL, "SHOP_ADDR=127.0.0.1:1", "PATH=" + os.Getenv("PATH")}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("shop %s still running after 20s (it did something instead of answering)", strings.Join(args, " "))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestCLIHelp walks every command and subcommand of the binary: -h and
// --help print its usage on stdout and exit 0 without doing anything (no
// database is created, no server started, no worker run, nothing seeded).
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "shop.db")
	dbURL := "sqlite:" + dbFile

	type walk struct {
		args []string
		want string // the usage's first line starts with it
	}
	var walks []walk
	for _, h := range []string{"-h", "--help", "-help", "help"} {
		walks = append(walks, walk{[]string{h}, "usage: shop <command>"})
	}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		for _, h := range []string{"-h", "--help"} {
			walks = append(walks, walk{append(append([]string{}, words...), h), "usage: shop " + c.name})
		}
		if len(words) == 2 {
			for _, h := range []string{"-h", "--help"} {
				walks = append(walks, walk{[]string{words[0], h}, "usage: shop " + words[0] + " <command>"})
			}
		}
	}
	// Help after other flags still only prints the usage.
	walks = append(walks,
		walk{[]string{"serve", "--migrate", "--help"}, "usage: shop serve"},
		walk{[]string{"migrate", "down", "--steps", "5", "--force", "-h"}, "usage: shop migrate down"},
		walk{[]string{"user", "create", "--email", "a@example.com", "--password", "long enough", "--role", "admin", "--help"}, "usage: shop user create"},
	)
	for _, w := range walks {
		code, stdout, stderr := shopProcess(t, dbURL, w.args...)
		if code != 0 || !strings.HasPrefix(stdout, w.want) || stderr != "" {
			t.Errorf("shop %s: exit %d, stdout %q, stderr %q; want exit 0 and stdout starting %q", strings.Join(w.args, " "), code, stdout, stderr, w.want)
		}
		if _, err := os.Stat(dbFile); err == nil {
			t.Fatalf("shop %s opened the database", strings.Join(w.args, " "))
		}
	}
	// The top-level usage names every command, each command's usage its flags.
	_, top, _ := shopProcess(t, dbURL, "--help")
	for _, c := range commands() {
		if !strings.Contains(top, "  "+c.name) {
			t.Errorf("shop --help does not list %q:\n%s", c.name, top)
		}
	}
	if _, down, _ := shopProcess(t, dbURL, "migrate", "down", "--help"); !strings.Contains(down, "-steps") || !strings.Contains(down, "-force") {
		t.Errorf("migrate down --help lists no flags:\n%s", down)
	}
}

// TestCLIUsageErrors: a command line the binary does not understand exits
// 2 with the message and the usage on stderr, and does nothing.
func TestCLIUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "shop.db")
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"migrate"},
		{"migrate", "sideways"},
		{"user"},
		{"user", "delete"},
		{"user", "create"},
		{"user", "create", "--email", "a@example.com"},
		{"serve", "--bogus"},
		{"serve", "extra"},
		{"seed", "--force"},
		{"worker", "now"},
		{"migrate", "up", "--steps", "1"},
		{"migrate", "status", "--json", "--force"},
		{"migrate", "down", "--steps", "0"},
		{"migrate", "down", "--steps", "x"},
	} {
		code, stdout, stderr := shopProcess(t, "sqlite:"+dbFile, args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "usage: shop") {
			t.Errorf("shop %s: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr", strings.Join(args, " "), code, stdout, stderr)
		}
		if _, err := os.Stat(dbFile); err == nil {
			t.Fatalf("shop %s opened the database", strings.Join(args, " "))
		}
	}
}
