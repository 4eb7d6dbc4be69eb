package e2e

import (
	"crypto/sha512"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

func init() {
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.FileBodyDecoder)
}

var assetTag = regexp.MustCompile(`(?:src|href)="([^"]+)" integrity="([^"]+)"`)

// TestGraphiQL_Offline: the GraphiQL page loads nothing from elsewhere (it
// showed only "Loading GraphiQL…" without internet, issue 12): every script
// and stylesheet it links is served by the shop, matches the page's
// Subresource Integrity hash, and may be cached for good under its
// versioned URL. The browser test (graphql_ui_test.go, make test-ui)
// proves the page works.
func TestGraphiQL_Offline(t *testing.T) {
	t.Parallel()
	s := newShop(t, "sqlite3")
	r := s.do(t, req{method: "GET", path: "/admin/graphiql"}).wantStatus(200)
	page := string(r.Body)
	if strings.Contains(page, "https://") || strings.Contains(page, "http://") || strings.Contains(page, "unpkg") {
		t.Fatalf("the page links something outside the shop:\n%s", page)
	}
	tags := assetTag.FindAllStringSubmatch(page, -1)
	if len(tags) != 4 || strings.Count(page, "<script") != 4 {
		t.Fatalf("want GraphiQL's stylesheet and three scripts with integrity, got %q", tags)
	}
	for _, tag := range tags {
		url, integrity := html.UnescapeString(tag[1]), html.UnescapeString(tag[2])
		a := s.do(t, req{method: "GET", path: url}).wantStatus(200)
		sum := sha512.Sum384(a.Body)
		if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != integrity {
			t.Errorf("%s: integrity %s, page says %s", url, got, integrity)
		}
		if len(a.Body) < 10000 {
			t.Errorf("%s: %d bytes", url, len(a.Body))
		}
		if cc := a.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", url, cc)
		}
		ct := a.Header.Get("Content-Type")
		if (strings.HasSuffix(url[:strings.Index(url, "?")], ".js") && !strings.HasPrefix(ct, "text/javascript")) ||
			(strings.HasSuffix(url[:strings.Index(url, "?")], ".css") && !strings.HasPrefix(ct, "text/css")) {
			t.Errorf("%s: Content-Type %q", url, ct)
		}
		// Revalidation by ETag; an unversioned URL is revalidated every time.
		s.do(t, req{method: "GET", path: url, header: map[string]string{"If-None-Match": a.Header.Get("ETag")}}).wantStatus(304)
		plain := s.do(t, req{method: "GET", path: url[:strings.Index(url, "?")]}).wantStatus(200)
		if cc := plain.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s without version: Cache-Control %q", url, cc)
		}
	}
	s.do(t, req{method: "GET", path: "/admin/graphiql/assets/nothing.js", invalid: true}).wantProblem(404, "not_found")
}
