// A typed admin client's view of the schema (make check-clients): money is
// a number (Int64), never unknown; times and cursors are strings.
import type { Product, Order, NewProductInput, Scalars, Variant } from "./schema.gen";

const price: number = 5_000_000_000 satisfies Scalars["Int64"]["output"];
const product: Pick<Product, "id" | "price" | "stock" | "createdAt"> = {
  id: "1",
  price,
  stock: 3,
  createdAt: "2026-12-03T16:45:00Z",
};
const total: number = ({ totalAmount: 10_000_000_000 } as Pick<Order, "totalAmount">).totalAmount;
const input: NewProductInput = { categoryID: "1", name: "Yacht", price: 5_000_000_000, initialStock: 1 };
const options: Record<string, unknown> = ({ options: { Size: "M" } } as Pick<Variant, "options">).options;
const when: string = product.createdAt;

export const checked = [product.price + total, input.price, options, when];
