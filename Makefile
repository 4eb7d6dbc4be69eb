# The shop's commands. `make run` and `make test` work on a fresh machine
# with Go installed; tests also need PostgreSQL on 127.0.0.1:5432 (see README).

GO        ?= go
BIN       ?= bin/shop
DATABASE_URL ?= sqlite:shop.db
export DATABASE_URL

.PHONY: walkthrough check-clients run build test test-short generate migrate-diff check-generated check-migrations migrate-lint bench fmt vet lint lint-openapi vendor-graphiql test-ui help

# The OpenAPI linters from npm, pinned; npx fetches them on first use.
SPECTRAL  ?= npx --yes @stoplight/spectral-cli@6.16.3
REDOCLY   ?= npx --yes @redocly/cli@2.77.0

## run: migrate, seed the demo catalog and serve on :8080 (SQLite by default)
run: build
	$(BIN) migrate up
	$(BIN) seed
	$(BIN) serve

## build: the shop binary in bin/
build:
	$(GO) build -o $(BIN) ./cmd/shop

## test: every test, with the race detector, on PostgreSQL and SQLite
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

## test-short: the quick inner loop: -short (no crash, outage, PgBouncer or browser tests, no
## concurrency stress or migration replays), no race detector, one database
## (SHOP_TEST_DIALECT=postgres or sqlite; postgres by default)
SHOP_TEST_DIALECT ?= postgres
test-short:
	SHOP_TEST_DIALECT=$(SHOP_TEST_DIALECT) $(GO) test -short -count=1 -timeout 10m ./...

## generate: regenerate ent/ (and the GraphQL schema) from schema/, and the Go client in client/ from docs/openapi.yaml
generate:
	$(GO) generate ./...

## migrate-diff name=NAME: write the next migration of each dialect from the schema
migrate-diff:
	@test -n "$(name)" || (echo "usage: make migrate-diff name=add_something" && exit 2)
	$(GO) run ./internal/tools/migratediff -name $(name)

## check-generated: fail if `make generate` would change anything
check-generated: generate
	@test -z "$$(git status --porcelain -- ent modules/admin/graph client)" || \
		(git status --short -- ent modules/admin/graph client; echo "generated code is stale: run make generate and commit"; exit 1)

## check-migrations: fail if the schema has changes without a migration
check-migrations:
	$(GO) run ./internal/tools/migratediff -check

## migrate-lint: Atlas's analyzers over both migration directories (`shop migrate lint`);
## PostgreSQL replays in a scratch schema of MIGRATE_LINT_PG_URL, rolled back
MIGRATE_LINT_PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
migrate-lint:
	DATABASE_URL=sqlite:shop.db $(GO) run ./cmd/shop migrate lint --dir migrations/sqlite
	DATABASE_URL='$(MIGRATE_LINT_PG_URL)' $(GO) run ./cmd/shop migrate lint --dir migrations/postgres

## bench: service-level benchmarks, then in one sitting (PostgreSQL, a private cluster loadbench starts with
## WORKLOAD.md's settings and pg_stat_statements): round trips per request, W1 at C=8/32 over HTTP against
## pgbench checkout-full, CPU ms per W1 iteration of PostgreSQL, the shop and the load generator with the
## ratios to checkout-full, the top statements (pg_stat_statements), WAL and table counters per iteration (and via a private PgBouncer in transaction mode when
## pgbouncer is installed; -pgbouncer=false skips it), W2 sell-out, server CPU per iteration, and the
## catalog at 1,000,000 products. Quick check: make bench BENCHFLAGS="-duration 5s -warmup 1s -c 8
## -w2 16 -catalog-products 100000 -catalog-reqs 20 -catalog-page 50". Webhooks (W1 with no endpoint vs
## one on order.created, commit->delivery p50/p99 per worker poll interval; docs/integrations.md):
## make bench BENCHFLAGS="-run webhooks -duration 10s -warmup 2s -c 8 -poll 1s,100ms"
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./internal/tools/loadbench $(BENCHFLAGS)

## lint: Spectral and Redocly over docs/openapi.yaml (zero warnings), staticcheck over our code (generated ent/ excluded), then migrate-lint
lint: lint-openapi migrate-lint
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $$($(GO) list ./... | grep -v '^shop/ent')

## lint-openapi: Spectral (.spectral.yaml: spectral:oas) and Redocly CLI (redocly.yaml: recommended) over
## docs/openapi.yaml; fails on any error or warning of either
lint-openapi:
	$(SPECTRAL) lint docs/openapi.yaml --ruleset .spectral.yaml --fail-severity warn
	@out=$$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint docs/openapi.yaml --config redocly.yaml --format=summary 2>&1); rc=$$?; \
		echo "$$out" | grep -v '^\s*$$' | grep -iv 'node\.js\|deprecation\|nodejs\|═\|║'; \
		if [ $$rc -ne 0 ] || echo "$$out" | grep -q '^warning'; then echo "lint-openapi: Redocly reports errors or warnings"; exit 1; fi

## walkthrough: run README.md's curl walkthrough verbatim, twice on one fresh database (SQLite;
## WALKTHROUGH_DATABASE_URL for another), against a freshly built shop; fails on any unexpected status
walkthrough:
	.ci/walkthrough

## check-clients: TypeScript consumers: openapi-typescript makes types of docs/openapi.yaml, and a typed
## storefront journey (internal/tools/tsclient/journey.ts: register, cart, checkout) must pass tsc --noEmit;
## then the admin GraphQL schema: graphql-js builds it and serializes 64-bit money (internal/tools/gqlclient/check.mjs),
## graphql-codegen types it with strictScalars, and a typed admin use (admin.ts) must pass tsc --noEmit
TSCLIENT := internal/tools/tsclient
GQLCLIENT := internal/tools/gqlclient
check-clients:
	cd $(TSCLIENT) && npm install --no-audit --no-fund --no-package-lock --silent
	cd $(TSCLIENT) && npx --no-install openapi-typescript ../../../docs/openapi.yaml --output schema.gen.ts
	cd $(TSCLIENT) && npx --no-install tsc --noEmit -p tsconfig.json
	@echo "check-clients: the TypeScript journey type-checks against docs/openapi.yaml"
	cd $(GQLCLIENT) && npm install --no-audit --no-fund --no-package-lock --silent
	cd $(GQLCLIENT) && node check.mjs
	cd $(GQLCLIENT) && npx --no-install graphql-codegen --config codegen.yml --silent
	cd $(GQLCLIENT) && npx --no-install tsc --noEmit -p tsconfig.json
	@echo "check-clients: graphql-codegen types every admin GraphQL scalar (strictScalars) and the typed admin use type-checks"

## fmt: gofmt every hand-written Go file (generated ent/ excluded)
fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '^ent/')

## vet: go vet over every package
vet:
	$(GO) vet ./...

# GraphiQL's page is served by the shop (modules/admin/graphiql.go) with these
# npm packages' production builds, vendored (committed) and embedded in the
# binary: no CDN, works offline.
GRAPHIQL_VERSION ?= 3.9.0
REACT_VERSION    ?= 18.3.1
GRAPHIQL_ASSETS  := modules/admin/graphiql

## test-ui: drive GraphiQL in headless chromium (apt-get install -y chromium); refreshes docs/graphiql.png
test-ui:
	$(GO) test -tags ui -count=1 -run 'TestGraphiQL_Browser' -v ./internal/e2e/

## vendor-graphiql: fetch GraphiQL, React and ReactDOM (pinned above) from npm into modules/admin/graphiql
vendor-graphiql:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent graphiql@$(GRAPHIQL_VERSION) react@$(REACT_VERSION) react-dom@$(REACT_VERSION) >/dev/null ) && \
	d=$(GRAPHIQL_ASSETS) && mkdir -p $$d && \
	tar -xzOf "$$tmp"/graphiql-$(GRAPHIQL_VERSION).tgz package/graphiql.min.js | sed '$$ s|^//# sourceMappingURL=.*$$||' > $$d/graphiql.min.js && \
	tar -xzOf "$$tmp"/graphiql-$(GRAPHIQL_VERSION).tgz package/graphiql.min.css > $$d/graphiql.min.css && \
	tar -xzOf "$$tmp"/react-$(REACT_VERSION).tgz package/umd/react.production.min.js > $$d/react.production.min.js && \
	tar -xzOf "$$tmp"/react-dom-$(REACT_VERSION).tgz package/umd/react-dom.production.min.js > $$d/react-dom.production.min.js && \
	{ echo "graphiql $(GRAPHIQL_VERSION) (MIT)"; tar -xzOf "$$tmp"/graphiql-$(GRAPHIQL_VERSION).tgz package/LICENSE; echo; \
	  echo "react and react-dom $(REACT_VERSION) (MIT)"; tar -xzOf "$$tmp"/react-$(REACT_VERSION).tgz package/LICENSE; } > $$d/LICENSES && \
	printf 'graphiql@%s\nreact@%s\nreact-dom@%s\n' $(GRAPHIQL_VERSION) $(REACT_VERSION) $(REACT_VERSION) > $$d/VERSIONS && \
	( cd $$d && sha256sum *.js *.css > SHA256SUMS ) && ls -l $$d

## help: list every target with its one-line description
help:
	@awk '/^## [a-z][a-z-]*( [a-zA-Z_]+=[A-Z_]+)*: / { line = substr($$0, 4); i = index(line, ": "); printf "  %-28s %s\n", substr(line, 1, i - 1), substr(line, i + 2); next } \
	      /^## / { printf "  %-28s %s\n", "", substr($$0, 4) }' $(MAKEFILE_LIST)
