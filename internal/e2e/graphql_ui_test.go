//go:build ui

package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestGraphiQL_Browser drives Debian's chromium (headless, fresh profile)
// through the GraphiQL page of a real server, as an admin would: paste a
// token, run the products query and see the result, open the docs
// explorer and see the schema. Every request the page makes goes to the
// shop (it works offline). It saves docs/graphiql.png for the README.
// Run it with `make test-ui` (build tag ui; needs chromium or
// SHOP_TEST_CHROMIUM pointing at a Chrome).
func TestGraphiQL_Browser(t *testing.T) {
	browser := os.Getenv("SHOP_TEST_CHROMIUM")
	if browser == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				browser = p
				break
			}
		}
	}
	if browser == "" {
		t.Fatal("no chromium on PATH: apt-get install -y chromium (or set SHOP_TEST_CHROMIUM)")
	}

	s := newShop(t, "sqlite3")
	a := s.admin(t)
	cat := s.category(t, a, "tools", nil)
	s.product(t, a, cat, "Claw Hammer", 2599, 12)
	s.product(t, a, cat, "Hand Saw", 1999, 3)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()

	var (
		mu         sync.Mutex
		requests   []string
		exceptions []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, (&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error())
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}

	shows := func(sel, text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`(() => { const el = document.querySelector(`+quoteJS(sel)+`); return !!el && el.innerText.includes(`+quoteJS(text)+`); })()`,
			chromedp.WithPollingTimeout(time.Minute))
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/admin/graphiql"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-container")),
		// Paste the token (the page loads the schema again with it).
		chromedp.SetValue(chromedp.ID("token"), a.Token),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('token').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		// Run the default products query and see the result.
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		shows(".graphiql-response", "Claw Hammer"),
		// Open the docs explorer: the schema is loaded; open the Query type.
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		shows(".graphiql-doc-explorer", "Query"),
		chromedp.Click(chromedp.CSS(`.graphiql-doc-explorer a.graphiql-doc-explorer-type-name`)),
		shows(".graphiql-doc-explorer", "inventoryMovements"),
		chromedp.Sleep(300*time.Millisecond), // let the editors settle for the picture
	)
	if err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("browser: %v\npage text:\n%.2000s", err, page)
	}
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	response, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.graphiql-response').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(response, `"totalCount": 2`) || !strings.Contains(response, `"currency": "USD"`) {
		t.Fatalf("result shown:\n%s", response)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if !strings.HasPrefix(u, s.base+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the page requested %s: it must work offline", u)
		}
	}
	if len(requests) < 5 {
		t.Errorf("saw only %d requests: %q", len(requests), requests)
	}
	if len(exceptions) > 0 {
		t.Errorf("uncaught exceptions in the page: %q", exceptions)
	}
	if err := os.WriteFile("../../docs/graphiql.png", screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests, all to the shop; screenshot docs/graphiql.png (%d bytes)", len(requests), len(screenshot))
}

// quoteJS quotes s as a JavaScript string literal.
func quoteJS(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
