-- checkout-full.pgbench.sql of ../shared/bench, adapted to the shop's schema
-- since variants (round 3): the same work with stock on variants (each
-- seeded product has one variant, with the same id), the cart line naming
-- its variant, the decrement on the variant (the shop's trigger keeps the
-- product's sum, as it does for the shop), order lines with the variant's
-- sku and options, movements naming the variant, the order's subtotal.
-- Users come from a pool of 1000 per client (uid), reused round-robin: each
-- iteration's checkout empties its user's cart, as in the HTTP workload.
\set cnt :cnt + 1
\set uid :client_id * 1000 + (:cnt % 1000) + 1
\set p1 random(1, 100)
\set p2 random(1, 99)
\set p2 case when :p2 >= :p1 then :p2 + 1 else :p2 end
\set p3 random(1, 98)
\set lo least(:p1, :p2)
\set hi greatest(:p1, :p2)
\set p3 case when :p3 >= :lo then :p3 + 1 else :p3 end
\set p3 case when :p3 >= :hi then :p3 + 1 else :p3 end
\set q1 random(1, 3)
\set q2 random(1, 3)
\set q3 random(1, 3)
\set s1 least(:p1, :p2, :p3)
\set s3 greatest(:p1, :p2, :p3)
\set s2 :p1 + :p2 + :p3 - :s1 - :s3
\set t1 case when :s1 = :p1 then :q1 when :s1 = :p2 then :q2 else :q3 end
\set t2 case when :s2 = :p1 then :q1 when :s2 = :p2 then :q2 else :q3 end
\set t3 case when :s3 = :p1 then :q1 when :s3 = :p2 then :q2 else :q3 end
\set n1 0 - :t1
\set n2 0 - :t2
\set n3 0 - :t3
\set total :q1 * (:p1 * 100 + 99) + :q2 * (:p2 * 100 + 99) + :q3 * (:p3 * 100 + 99)

insert into cart_items (user_id, product_id, variant_id, quantity, created_at, updated_at) values (:uid, :p1, :p1, :q1, now(), now()) on conflict (user_id, variant_id) do update set quantity = cart_items.quantity + excluded.quantity returning *;
insert into cart_items (user_id, product_id, variant_id, quantity, created_at, updated_at) values (:uid, :p2, :p2, :q2, now(), now()) on conflict (user_id, variant_id) do update set quantity = cart_items.quantity + excluded.quantity returning *;
insert into cart_items (user_id, product_id, variant_id, quantity, created_at, updated_at) values (:uid, :p3, :p3, :q3, now(), now()) on conflict (user_id, variant_id) do update set quantity = cart_items.quantity + excluded.quantity returning *;

BEGIN;
select c.id, c.product_id, c.variant_id, c.quantity, p.name, coalesce(v.price, p.price), v.is_active and p.is_active from cart_items c join variants v on v.id = c.variant_id join products p on p.id = v.product_id where c.user_id = :uid order by c.variant_id;
insert into orders (user_id, status, subtotal_amount, total_amount, currency, created_at, updated_at) values (:uid, 'pending', :total, :total, 'USD', now(), now()) returning id as oid \gset
update variants set stock = stock - :t1, updated_at = now() where id = :s1 and stock >= :t1 returning stock;
update variants set stock = stock - :t2, updated_at = now() where id = :s2 and stock >= :t2 returning stock;
update variants set stock = stock - :t3, updated_at = now() where id = :s3 and stock >= :t3 returning stock;
insert into order_items (order_id, product_id, variant_id, sku, options, product_name, unit_price, quantity, created_at) select :oid, p.id, v.id, v.sku, v.options, p.name, coalesce(v.price, p.price), c.quantity, now() from cart_items c join variants v on v.id = c.variant_id join products p on p.id = v.product_id where c.user_id = :uid;
insert into inventory_movements (product_id, variant_id, quantity_change, reason, order_id, created_at) values (:s1, :s1, :n1, 'sale', :oid, now()), (:s2, :s2, :n2, 'sale', :oid, now()), (:s3, :s3, :n3, 'sale', :oid, now());
delete from cart_items where user_id = :uid;
COMMIT;
