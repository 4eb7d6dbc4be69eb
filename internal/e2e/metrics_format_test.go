package e2e

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

// TestMetrics_StrictFormats: /metrics of a shop with its workers (every
// collector `shop serve` registers) parses without an error in the classic
// text format (prometheus/common's parser) and in OpenMetrics 1.0
// (Prometheus's own OpenMetrics parser), and names each OpenMetrics metric
// family once, as the specification requires; client_golang's memstats
// gauge go_memstats_alloc_bytes beside the counter
// go_memstats_alloc_bytes_total broke that (client_golang #829).
func TestMetrics_StrictFormats(t *testing.T) {
	t.Parallel()
	s := newShop(t, "sqlite")
	s.startWorkersOn(t, s.srv.Registry)
	s.do(t, req{method: "GET", path: "/api/v1/products"}).wantStatus(200)
	if res, _ := s.raw(t, "GET", "/api/v1/nowhere", nil); res.StatusCode != 404 {
		t.Fatalf("unknown path: %d", res.StatusCode)
	}

	res, body := s.raw(t, "GET", "/metrics", nil)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("plain scrape: Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("text format: %v", err)
	}
	if families["shop_http_requests_total"] == nil || families["go_goroutines"] == nil {
		t.Fatalf("text format: %d families, without the shop's or Go's", len(families))
	}

	res, body = s.raw(t, "GET", "/metrics", map[string]string{"Accept": "application/openmetrics-text; version=1.0.0; charset=utf-8"})
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("OpenMetrics asked: Content-Type %q", ct)
	}
	p := textparse.NewOpenMetricsParser(body, labels.NewSymbolTable())
	typed := map[string]int{}
	helped := map[string]int{}
	samples := 0
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("OpenMetrics: %v", err)
		}
		switch entry {
		case textparse.EntryType:
			name, _ := p.Type()
			typed[string(name)]++
		case textparse.EntryHelp:
			name, _ := p.Help()
			helped[string(name)]++
		case textparse.EntrySeries:
			samples++
		}
	}
	for name, n := range typed {
		if n > 1 || helped[name] > 1 {
			t.Errorf("OpenMetrics: family %s declared %d times (TYPE), %d (HELP)", name, n, helped[name])
		}
	}
	if samples == 0 || typed["shop_http_requests"] != 1 {
		t.Fatalf("OpenMetrics: %d samples, families %v", samples, typed)
	}
}
