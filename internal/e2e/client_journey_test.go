package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"shop/client"
	"shop/ent/inventorymovement"
	"shop/internal/app"
	"shop/internal/testdb"
	"shop/schema"
)

// specCheckingTransport validates every exchange the generated client makes
// against docs/openapi.yaml, as the harness's do does for hand-made requests.
type specCheckingTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (tr specCheckingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var reqBody []byte
	if r.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	check := r.Clone(r.Context())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := openAPIRouter(tr.t).FindRoute(check)
	if err != nil {
		tr.t.Errorf("%s %s is not in docs/openapi.yaml: %v", r.Method, r.URL, err)
		return tr.next.RoundTrip(r)
	}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		tr.t.Errorf("%s %s: the client's request does not match openapi.yaml: %v", r.Method, r.URL, err)
	}
	res, err := tr.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	rv.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), rv); err != nil {
		tr.t.Errorf("%s %s → %d: the response does not match openapi.yaml: %v\n%s", r.Method, r.URL, res.StatusCode, err, body)
	}
	return res, nil
}

// apiClient is the generated client on the test shop, signed in with token
// (if any), every exchange checked against the document.
func (s *shop) apiClient(t testing.TB, token string) *client.ClientWithResponses {
	t.Helper()
	opts := []client.ClientOption{client.WithHTTPClient(&http.Client{
		Timeout: 60 * time.Second, Transport: specCheckingTransport{t: t, next: http.DefaultTransport},
	})}
	if token != "" {
		opts = append(opts, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := client.NewClientWithResponses(s.base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// must takes a client call's results and returns a check that fails the
// test unless the call worked and answered want: must(c.GetCartWithResponse(ctx))(t, 200).
func must[R interface{ StatusCode() int }](r R, err error) func(testing.TB, int) R {
	return func(t testing.TB, want int) R {
		t.Helper()
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
		if r.StatusCode() != want {
			t.Fatalf("status %d, want %d", r.StatusCode(), want)
		}
		return r
	}
}

func ptr[T any](v T) *T { return &v }

// TestClientJourney walks a shopper's and an admin's whole journey only
// through the Go client generated from docs/openapi.yaml: if the document
// lies, a consumer notices here.
func TestClientJourney(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		ctx := t.Context()
		anon := s.apiClient(t, "")

		// An admin is made on the command line (the service the CLI uses) and
		// signs in through the client.
		adminEmail := fmt.Sprintf("boss-%d@example.com", time.Now().UnixNano())
		if _, err := app.NewServices(s.cfg, s.db.Dialect).Identity.CreateUser(ctx, s.ent, identityInput(adminEmail)); err != nil {
			t.Fatal(err)
		}
		login := must(anon.LoginWithResponse(ctx, client.LoginRequest{Email: adminEmail, Password: "admin-password"}))(t, 200)
		if login.JSON200.User.Role != client.RoleAdmin {
			t.Fatalf("admin signed in as %q", login.JSON200.User.Role)
		}
		admin := s.apiClient(t, login.JSON200.Token)

		// The admin builds a small catalog: a category tree and three products.
		top := must(admin.CreateCategoryWithResponse(ctx, client.CreateCategoryRequest{Name: "Electronics", Slug: "electronics"}))(t, 201).JSON201
		phones := must(admin.CreateCategoryWithResponse(ctx, client.CreateCategoryRequest{
			Name: "Phones", Slug: "phones", ParentID: nullable.NewNullableWithValue(top.ID),
		}))(t, 201).JSON201
		// parent_id null is sent as null: the category moves to the top level.
		moved := must(admin.UpdateCategoryWithResponse(ctx, phones.ID, client.UpdateCategoryRequest{ParentID: nullable.NewNullNullable[int]()}))(t, 200).JSON200
		if !moved.ParentID.IsNull() {
			t.Fatalf("parent_id after PATCH null = %+v", moved.ParentID)
		}
		must(admin.UpdateCategoryWithResponse(ctx, phones.ID, client.UpdateCategoryRequest{ParentID: nullable.NewNullableWithValue(top.ID)}))(t, 200)
		newProduct := func(cat int, name string, price int64, stock int) client.Product {
			return *must(admin.CreateProductWithResponse(ctx, client.CreateProductRequest{
				CategoryID: cat, Name: name, Description: ptr("about " + name), Price: price, Stock: &stock,
			}))(t, 201).JSON201
		}
		phone := newProduct(phones.ID, "Phone", 50000, 10)
		cheap := newProduct(phones.ID, "Cheap phone", 9000, 3)
		newProduct(top.ID, "Cable", 1500, 0)

		// A shopper registers and signs in.
		email := fmt.Sprintf("ann-%d@example.com", time.Now().UnixNano())
		reg := must(anon.RegisterUserWithResponse(ctx, client.RegisterRequest{Email: email, Password: "correct horse", Name: "Ann"}))(t, 201)
		if reg.JSON201.User.Role != client.RoleCustomer {
			t.Fatalf("registered as %q", reg.JSON201.User.Role)
		}
		token := must(anon.LoginWithResponse(ctx, client.LoginRequest{Email: email, Password: "correct horse"}))(t, 200).JSON200.Token
		ann := s.apiClient(t, token)
		me := must(ann.GetMeWithResponse(ctx))(t, 200).JSON200
		if me.Email != email || me.ID != reg.JSON201.User.ID {
			t.Fatalf("me = %+v", me)
		}

		// Browse: categories, products with filters and pages, one product.
		cats := must(anon.ListCategoriesWithResponse(ctx))(t, 200).JSON200.Items
		if len(cats) != 2 {
			t.Fatalf("categories = %+v", cats)
		}
		list := must(anon.ListProductsWithResponse(ctx, &client.ListProductsParams{
			Category: ptr("electronics"), InStock: ptr(true), Sort: ptr(client.ProductSortPrice), Limit: ptr(1),
		}))(t, 200).JSON200
		if len(list.Items) != 1 || list.Items[0].ID != cheap.ID || !list.NextCursor.IsSpecified() || list.NextCursor.IsNull() {
			t.Fatalf("page 1 = %+v", list)
		}
		cursor := list.NextCursor.MustGet()
		list = must(anon.ListProductsWithResponse(ctx, &client.ListProductsParams{
			Category: ptr("electronics"), InStock: ptr(true), Sort: ptr(client.ProductSortPrice), Limit: ptr(1), Cursor: &cursor,
		}))(t, 200).JSON200
		if len(list.Items) != 1 || list.Items[0].ID != phone.ID || !list.NextCursor.IsNull() {
			t.Fatalf("page 2 = %+v (the cable is out of stock)", list)
		}
		found := must(anon.ListProductsWithResponse(ctx, &client.ListProductsParams{MinPrice: ptr(int64(10000)), Q: ptr("phone")}))(t, 200).JSON200.Items
		if len(found) != 1 || found[0].ID != phone.ID {
			t.Fatalf("min_price and q = %+v", found)
		}
		one := must(anon.GetProductWithResponse(ctx, phone.ID))(t, 200)
		if one.JSON200.Price != 50000 || one.JSON200.Currency != "USD" || one.Headers200.ETag == "" {
			t.Fatalf("product = %+v, headers %+v", one.JSON200, one.Headers200)
		}
		bad := must(anon.ListProductsWithResponse(ctx, &client.ListProductsParams{MinPrice: ptr(int64(5)), MaxPrice: ptr(int64(1))}))(t, 422)
		if bad.ApplicationProblemJSON422.Code != client.ErrorCodeValidationFailed {
			t.Fatalf("problem = %+v", bad.ApplicationProblemJSON422)
		}

		// Cart: add, change the quantity, read it.
		must(ann.AddCartItemWithResponse(ctx, client.AddCartItemRequest{ProductID: &phone.ID, Quantity: 1}))(t, 201)
		cart := must(ann.AddCartItemWithResponse(ctx, client.AddCartItemRequest{ProductID: &cheap.ID, Quantity: 1}))(t, 201).JSON201
		var cheapLine int
		for _, it := range cart.Items {
			if it.ProductID == cheap.ID {
				cheapLine = it.ID
			}
		}
		if patched := must(ann.UpdateCartItemWithResponse(ctx, cheapLine, client.UpdateCartItemRequest{Quantity: 2}))(t, 200).JSON200; patched.ItemCount != 3 {
			t.Fatalf("cart after PATCH = %+v", patched)
		}
		cart = must(ann.GetCartWithResponse(ctx))(t, 200).JSON200
		if cart.Total != 50000+2*9000 || cart.ItemCount != 3 || cart.Currency != "USD" {
			t.Fatalf("cart = %+v", cart)
		}

		// Checkout with the total the shopper saw and an Idempotency-Key.
		key := &client.CheckoutParams{IdempotencyKey: ptr("journey-1")}
		placed := must(ann.CheckoutWithResponse(ctx, key, client.CheckoutRequest{ExpectedTotal: &cart.Total}))(t, 201)
		order := placed.JSON201
		if order.Status != client.OrderStatusPending || order.TotalAmount != cart.Total || len(order.Items) != 2 {
			t.Fatalf("order = %+v", order)
		}
		if s.stock(t, phone.ID) != 9 || s.stock(t, cheap.ID) != 1 {
			t.Fatalf("stock after checkout: phone %d, cheap %d", s.stock(t, phone.ID), s.stock(t, cheap.ID))
		}
		if n := s.ent.InventoryMovement.Query().Where(inventorymovement.OrderID(order.ID), inventorymovement.ReasonEQ(inventorymovement.ReasonSale)).CountX(ctx); n != 2 {
			t.Fatalf("%d sale movements, want 2", n)
		}
		if c := must(ann.GetCartWithResponse(ctx))(t, 200).JSON200; len(c.Items) != 0 {
			t.Fatalf("cart after checkout = %+v", c)
		}

		// The same request again is a replay: the same order, nothing changes.
		replay := must(ann.CheckoutWithResponse(ctx, key, client.CheckoutRequest{ExpectedTotal: &cart.Total}))(t, 200)
		if replay.JSON200.ID != order.ID || replay.Headers200.IdempotentReplayed != "true" {
			t.Fatalf("replay = %+v, headers %+v", replay.JSON200, replay.Headers200)
		}
		if s.stock(t, phone.ID) != 9 || s.ent.Order.Query().CountX(ctx) != 1 {
			t.Fatal("the replay changed something")
		}

		// Orders: list (by status) and read.
		mine := must(ann.ListOrdersWithResponse(ctx, &client.ListOrdersParams{Status: ptr(client.OrderStatusPending)}))(t, 200).JSON200
		if len(mine.Items) != 1 || mine.Items[0].ID != order.ID || !mine.NextCursor.IsNull() {
			t.Fatalf("orders = %+v", mine)
		}
		if got := must(ann.GetOrderWithResponse(ctx, order.ID))(t, 200).JSON200; got.TotalAmount != order.TotalAmount {
			t.Fatalf("order = %+v", got)
		}

		// Cancel: every line goes back into stock.
		if c := must(ann.CancelOrderWithResponse(ctx, order.ID))(t, 200).JSON200; c.Status != client.OrderStatusCancelled {
			t.Fatalf("cancelled order = %+v", c)
		}
		if s.stock(t, phone.ID) != 10 || s.stock(t, cheap.ID) != 3 {
			t.Fatalf("stock after cancel: phone %d, cheap %d", s.stock(t, phone.ID), s.stock(t, cheap.ID))
		}
		again := must(ann.CancelOrderWithResponse(ctx, order.ID))(t, 409).ApplicationProblemJSONDefault
		if again.Code != client.ErrorCodeInvalidStatusTransition {
			t.Fatalf("second cancel = %+v", again)
		}

		// A second order that the admin ships.
		must(ann.AddCartItemWithResponse(ctx, client.AddCartItemRequest{ProductID: &phone.ID, Quantity: 2}))(t, 201)
		second := must(ann.CheckoutWithResponse(ctx, &client.CheckoutParams{}, client.CheckoutRequest{}))(t, 201).JSON201

		// Admin: the orders, a status change, a refused one.
		all := must(admin.ListAdminOrdersWithResponse(ctx, &client.ListAdminOrdersParams{UserID: &me.ID}))(t, 200).JSON200
		if len(all.Items) != 2 || all.Items[0].ID != second.ID {
			t.Fatalf("admin orders = %+v", all)
		}
		must(admin.SetOrderStatusWithResponse(ctx, second.ID, client.OrderStatusRequest{Status: client.OrderStatusProcessing}))(t, 200)
		shipped := must(admin.SetOrderStatusWithResponse(ctx, second.ID, client.OrderStatusRequest{Status: client.OrderStatusShipped}))(t, 200).JSON200
		if shipped.Status != client.OrderStatusShipped {
			t.Fatalf("order = %+v", shipped)
		}
		refused := must(admin.SetOrderStatusWithResponse(ctx, second.ID, client.OrderStatusRequest{Status: client.OrderStatusPending}))(t, 409)
		if refused.ApplicationProblemJSONDefault.Code != client.ErrorCodeInvalidStatusTransition {
			t.Fatalf("refused = %+v", refused.ApplicationProblemJSONDefault)
		}

		// Admin: a product change under If-Match, a restock and the ledger.
		etag := must(admin.GetProductWithResponse(ctx, phone.ID))(t, 200).Headers200.ETag
		must(admin.UpdateProductWithResponse(ctx, phone.ID, &client.UpdateProductParams{IfMatch: &etag}, client.UpdateProductRequest{Price: ptr(int64(45000))}))(t, 200)
		stale := must(admin.UpdateProductWithResponse(ctx, phone.ID, &client.UpdateProductParams{IfMatch: &etag}, client.UpdateProductRequest{Price: ptr(int64(1))}))(t, 412)
		if stale.ApplicationProblemJSONDefault.Code != client.ErrorCodeVersionConflict {
			t.Fatalf("stale If-Match = %+v", stale.ApplicationProblemJSONDefault)
		}
		restocked := must(admin.CreateStockAdjustmentWithResponse(ctx, phone.ID, client.StockAdjustmentRequest{QuantityChange: 5, Reason: client.AdjustmentReasonRestock}))(t, 200).JSON200
		if restocked.Stock != 13 || s.stock(t, phone.ID) != 13 {
			t.Fatalf("after restock: response %d, stored %d", restocked.Stock, s.stock(t, phone.ID))
		}
		short := must(admin.CreateStockAdjustmentWithResponse(ctx, phone.ID, client.StockAdjustmentRequest{QuantityChange: -100, Reason: client.AdjustmentReasonDamage}))(t, 409)
		if short.ApplicationProblemJSONDefault.Code != client.ErrorCodeInsufficientStock || s.stock(t, phone.ID) != 13 {
			t.Fatalf("damage below zero = %+v", short.ApplicationProblemJSONDefault)
		}
		moves := must(admin.ListProductMovementsWithResponse(ctx, phone.ID, &client.ListProductMovementsParams{Limit: ptr(100)}))(t, 200).JSON200.Items
		want := []client.MovementReason{client.MovementReasonRestock, client.MovementReasonSale, client.MovementReasonCancellation, client.MovementReasonSale, client.MovementReasonInitial}
		sum := 0
		for i, m := range moves {
			if i < len(want) && m.Reason != want[i] {
				t.Errorf("movement %d is %s, want %s", i, m.Reason, want[i])
			}
			sum += m.QuantityChange
		}
		if len(moves) != len(want) || sum != 13 {
			t.Fatalf("movements = %+v (sum %d)", moves, sum)
		}
		stored := s.ent.InventoryMovement.Query().Where(inventorymovement.ProductID(phone.ID)).CountX(schema.SkipSoftDelete(ctx))
		if stored != len(moves) {
			t.Fatalf("%d movements stored, %d listed", stored, len(moves))
		}

		// Admin: the audit log, the reconciliation and the sales report.
		audit := must(admin.ListAuditLogWithResponse(ctx, &client.ListAuditLogParams{
			Entity: ptr(client.AuditEntityProduct), EntityID: &phone.ID,
		}))(t, 200).JSON200.Items
		if len(audit) < 2 || audit[0].Action != client.AuditActionUpdate || audit[len(audit)-1].Action != client.AuditActionCreate {
			t.Fatalf("audit log = %+v", audit)
		}
		phoneVariant := variantOf(t, s, phone.ID)
		vaudit := must(admin.ListAuditLogWithResponse(ctx, &client.ListAuditLogParams{
			Entity: ptr(client.AuditEntityVariant), EntityID: &phoneVariant,
		}))(t, 200).JSON200.Items
		if ch, ok := vaudit[0].Changes["stock"]; !ok || func() bool { n, err := ch.New.AsFieldChangeNew1(); return err != nil || n != 13 }() {
			t.Fatalf("newest variant audit entry = %+v", vaudit[0])
		}
		rec := must(admin.GetInventoryReconciliationWithResponse(ctx))(t, 200).JSON200
		if rec.ProductsChecked != 3 || len(rec.Discrepancies) != 0 {
			t.Fatalf("reconciliation = %+v", rec)
		}
		today := time.Now().UTC()
		report := must(admin.GetSalesReportWithResponse(ctx, &client.GetSalesReportParams{
			From:    openapi_types.Date{Time: today.AddDate(0, 0, -1)},
			To:      openapi_types.Date{Time: today.AddDate(0, 0, 1)},
			GroupBy: ptr(client.SalesGroupByProduct),
		}))(t, 200).JSON200
		if len(report.Rows) != 1 || report.Rows[0].Key != fmt.Sprint(phone.ID) || report.Rows[0].Units != 2 ||
			report.Rows[0].Revenue != 2*50000 || report.Currency != "USD" {
			t.Fatalf("sales report (the cancelled order excluded) = %+v", report)
		}

		// A customer is refused the admin surface; the document is served as YAML.
		if p := must(ann.GetInventoryReconciliationWithResponse(ctx))(t, 403).ApplicationProblemJSON403; p.Code != client.ErrorCodeForbidden {
			t.Fatalf("customer on admin route = %+v", p)
		}
		doc := must(anon.GetOpenAPIWithResponse(ctx))(t, 200).YAML200
		if doc == nil || (*doc)["openapi"] != "3.0.3" {
			t.Fatalf("openapi.yaml through the client = %v", doc)
		}
	})
}
