// graphql-js (the reference implementation most clients run) over the
// admin schema's files: the schema builds, every custom scalar has
// @specifiedBy, and a product at 5,000,000,000 minor units serializes
// (an Int field would answer "Int cannot represent non 32-bit signed
// integer value", issue 22 item 5).
import { readFileSync } from "node:fs";
import { buildSchema, graphql, isScalarType, specifiedScalarTypes } from "graphql";

const dir = new URL("../../../modules/admin/graph/", import.meta.url);
const sdl = ["ent.graphql", "admin.graphql"].map((f) => readFileSync(new URL(f, dir), "utf8")).join("\n");
const schema = buildSchema(sdl);

const builtIn = new Set(specifiedScalarTypes.map((t) => t.name));
const failures = [];
for (const type of Object.values(schema.getTypeMap())) {
  if (isScalarType(type) && !builtIn.has(type.name) && !type.specifiedByURL) {
    failures.push(`scalar ${type.name} has no @specifiedBy`);
  }
}
if (schema.getQueryType().getFields().node) failures.push("Query.node is offered, but ids are not global");

const big = 5_000_000_000;
const root = {
  products: { edges: [{ node: { id: "1", price: big, stock: 3, variants: { edges: [{ node: { price: big } }] } } }] },
  orders: { edges: [{ node: { totalAmount: 2 * big, subtotalAmount: 2 * big, discountAmount: 0 } }] },
};
const res = await graphql({
  schema,
  rootValue: root,
  source: `{ products { edges { node { id price stock variants(first: 1) { edges { node { price } } } } } }
             orders { edges { node { totalAmount subtotalAmount discountAmount } } } }`,
});
if (res.errors) failures.push(...res.errors.map((e) => `graphql-js: ${e.message}`));
else if (res.data.products.edges[0].node.price !== big || res.data.orders.edges[0].node.totalAmount !== 2 * big) {
  failures.push(`graphql-js read ${JSON.stringify(res.data)}`);
}

if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("check.mjs: graphql-js builds the admin schema, every custom scalar has @specifiedBy, 64-bit money serializes");
