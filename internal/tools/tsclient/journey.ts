// A storefront's journey against the shop's REST API, typed by the types
// openapi-typescript generates from docs/openapi.yaml (schema.gen.ts, made
// by `make check-clients`, not committed): register, add to the cart,
// check out. `make check-clients` only type-checks it (tsc --noEmit), so a
// spec change that breaks TypeScript consumers fails CI.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.gen";

type Order = components["schemas"]["Order"];
type Problem = components["schemas"]["Problem"];

export async function journey(baseUrl: string, productId: number): Promise<Order> {
  const api = createClient<paths>({ baseUrl });
  const email = `ts-${Date.now()}@example.com`;

  const reg = await api.POST("/api/v1/auth/register", {
    body: { email, password: "correct horse battery", name: "TS" },
  });
  if (!reg.data) throw problem(reg.error);
  const auth = { Authorization: `Bearer ${reg.data.token}` };

  const cart = await api.POST("/api/v1/cart/items", {
    headers: auth,
    body: { product_id: productId, quantity: 2 },
  });
  if (!cart.data) throw problem(cart.error);
  const total: number = cart.data.total;

  const order = await api.POST("/api/v1/checkout", {
    headers: auth,
    params: { header: { "Idempotency-Key": `ts-${email}` } },
    body: { expected_total: total },
  });
  if (!order.data) throw problem(order.error);
  const status: components["schemas"]["OrderStatus"] = order.data.status;
  if (status !== "pending" || order.data.items.length !== 1) {
    throw new Error(`unexpected order ${order.data.id} (${status})`);
  }
  return order.data;
}

function problem(p: Problem | undefined): Error {
  return new Error(p ? `${p.status} ${p.code}: ${p.detail ?? p.title}` : "no answer");
}
