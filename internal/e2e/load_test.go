package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// rawDo sends one request without the OpenAPI checks of shop.do: for
// load and fault tests, where refusals (503) and lost answers are expected.
func rawDo(ctx context.Context, client *http.Client, method, url, token string, body []byte, hdr map[string]string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	res, err := client.Do(r)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

// checkoutLoad is a checkout load: workers each put a product in their cart
// and check it out with a fresh Idempotency-Key, over and over, against one
// or more servers. It records which keys were acknowledged (201 or a 200
// replay) and which were sent without an answer (error, 503), to be
// replayed once the shop is back.
type checkoutLoad struct {
	Client *http.Client
	// Bases are the servers; worker i uses Bases[i%len(Bases)].
	Bases     []string
	Tokens    []string // one user per worker
	ProductID int
	// OnResponse, if set, sees every response (status 0: no answer).
	OnResponse func(status int, h http.Header, body []byte)

	mu      sync.Mutex
	Acked   map[string]int // key → order id
	Pending map[string]string
	Status  map[int]int // status → count (0: no answer)
	seq     int
	// Replayed counts keys whose replay returned the order they had
	// committed (200, answer lost); PlacedOnReplay those that had not
	// committed and were placed by the replay (201).
	Replayed, PlacedOnReplay int
}

// Run runs the load until ctx is done.
func (l *checkoutLoad) Run(ctx context.Context) {
	l.mu.Lock()
	if l.Acked == nil {
		l.Acked, l.Pending, l.Status = map[string]int{}, map[string]string{}, map[int]int{}
	}
	l.mu.Unlock()
	var wg sync.WaitGroup
	for i, tok := range l.Tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := l.Bases[i%len(l.Bases)]
			add := []byte(fmt.Sprintf(`{"product_id":%d,"quantity":1}`, l.ProductID))
			for ctx.Err() == nil {
				st, h, b, _ := rawDo(ctx, l.Client, "POST", base+"/api/v1/cart/items", tok, add, nil)
				l.saw(st, h, b, ctx)
				if st != http.StatusCreated {
					pause(ctx, 20*time.Millisecond)
					continue
				}
				l.mu.Lock()
				l.seq++
				key := fmt.Sprintf("load-%d-%d-%d", time.Now().UnixNano(), i, l.seq)
				l.Pending[key] = tok
				l.mu.Unlock()
				st, h, b, _ = rawDo(ctx, l.Client, "POST", base+"/api/v1/checkout", tok, nil, map[string]string{"Idempotency-Key": key})
				l.saw(st, h, b, ctx)
				if st == http.StatusCreated || st == http.StatusOK {
					l.ack(key, b)
				}
			}
		}()
	}
	wg.Wait()
}

func (l *checkoutLoad) saw(status int, h http.Header, body []byte, ctx context.Context) {
	if status == 0 && ctx.Err() != nil {
		return // the test ended the load
	}
	l.mu.Lock()
	l.Status[status]++
	l.mu.Unlock()
	if l.OnResponse != nil {
		l.OnResponse(status, h, body)
	}
}

func (l *checkoutLoad) ack(key string, body []byte) {
	var o struct{ ID int }
	_ = json.Unmarshal(body, &o)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.Pending, key)
	l.Acked[key] = o.ID
}

// Replay sends every unanswered key again to base: a checkout that
// committed answers 200 with its order, one that did not is placed now
// (201); either way the key is then acknowledged. It fails the test on any
// other answer.
func (l *checkoutLoad) Replay(t testing.TB, base string) {
	t.Helper()
	l.mu.Lock()
	pending := make(map[string]string, len(l.Pending))
	for k, v := range l.Pending {
		pending[k] = v
	}
	l.mu.Unlock()
	for key, tok := range pending {
		st, _, b, err := rawDo(context.Background(), l.Client, "POST", base+"/api/v1/checkout", tok, nil, map[string]string{"Idempotency-Key": key})
		switch {
		case err != nil:
			t.Fatalf("replay %s: %v", key, err)
		case st == http.StatusCreated || st == http.StatusOK:
			l.ack(key, b)
			l.mu.Lock()
			if st == http.StatusOK {
				l.Replayed++
			} else {
				l.PlacedOnReplay++
			}
			l.mu.Unlock()
		case st == http.StatusUnprocessableEntity:
			// empty_cart: the key's checkout never ran and the cart was
			// emptied by a later one; nothing to acknowledge.
			l.mu.Lock()
			delete(l.Pending, key)
			l.mu.Unlock()
		default:
			t.Fatalf("replay %s: %d %s", key, st, b)
		}
	}
}

// OrderIDs are the distinct orders acknowledged.
func (l *checkoutLoad) OrderIDs() map[int]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := map[int]bool{}
	for _, id := range l.Acked {
		ids[id] = true
	}
	return ids
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
