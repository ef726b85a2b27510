# clilogin — see README.md. The two commands: make demo, make test.
GO        ?= go
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build demo test unit e2e lint docs docs-check cross bench fuzz clean release-snapshot release-check

all: build

# A static binary (pure-Go DNS resolver) starts about 2 ms faster: it is what
# a cache hit of `clilogin token` costs.
build:
	CGO_ENABLED=0 $(GO) build -o bin/clilogin ./cmd/clilogin

bin/devstack: $(shell find devstack -name '*.go' -not -name '*_test.go') devstack/go.mod
	cd devstack && $(GO) build -o ../bin/devstack ./cmd/devstack

## demo: install Chromium if needed, start the demo stack, sign in to it
demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build bin/devstack
	@scripts/demo.sh

## test: lint, every release target, unit tests (with -race) and end-to-end tests in real Chromium
test: lint cross unit e2e

# The release targets. `cross` vets every package (test files included, so
# each package's tests compile) and builds cmd/clilogin for each of them.
TARGETS = linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64

## cross: go vet and build for every release target
cross:
	@for t in $(TARGETS); do \
	  os=$${t%/*}; arch=$${t#*/}; echo "== $$t"; \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) vet ./... && \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/clilogin || exit 1; \
	done

unit:
	$(GO) test -race -count=1 ./...

e2e: testdata/nodestack/node_modules/.package-lock.json testdata/grids/node_modules/.package-lock.json
	@scripts/deps.sh test
	cd devstack && $(GO) test -count=1 -timeout 12m ./...

testdata/nodestack/node_modules/.package-lock.json: testdata/nodestack/package-lock.json
	@scripts/deps.sh test
	cd testdata/nodestack && npm ci --no-audit --no-fund --loglevel=error

# Selenium Grid 4's jar, browserless and the Node.js (>= 24) it needs, for
# the remote-browser tests and bench; no browser is downloaded: both use
# Debian's Chromium.
testdata/grids/node_modules/.package-lock.json: testdata/grids/package-lock.json
	@scripts/deps.sh test
	cd testdata/grids && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

## docs: write the command reference (docs/cli/*.md) from the command table
docs:
	rm -rf docs/cli
	$(GO) run ./internal/gendocs -md docs/cli

# docs-check: the checked-in reference is what the command table gives now.
docs-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	{ $(GO) run ./internal/gendocs -md "$$tmp" || exit 1; } && \
	diff -ru docs/cli "$$tmp" >&2 || { echo "docs/cli is out of date with the command table: run make docs" >&2; exit 1; }

lint: docs-check
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: the files above need formatting" >&2; exit 1; }
	$(GO) vet ./...
	@deps=$$($(GO) list -deps ./internal/replay ./internal/check ./internal/marker ./internal/pagemodel) && ! echo "$$deps" | grep -E 'chromedp|clilogin/internal/(browser|chrome)$$' \
	  || { echo "replay, check, marker and pagemodel must need no browser: the packages above are in their imports" >&2; exit 1; }
	cd devstack && $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd devstack && $(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
	cd devstack && $(GO) mod tidy -diff

## bench: speed and memory figures (see docs/performance.md)
bench: build testdata/grids/node_modules/.package-lock.json testdata/nodestack/node_modules/.package-lock.json
	@scripts/deps.sh test
	cd devstack && $(GO) run ./cmd/bench -clilogin ../bin/clilogin -json ../bench/results/bench.json
	cd devstack && $(GO) run ./cmd/gridbench -clilogin ../bin/clilogin -json ../bench/results/grids.json

## fuzz: run every fuzz target for FUZZTIME (default 60s)
FUZZTIME ?= 60s
fuzz:
	@for t in internal/marker:FuzzParseMarker internal/token:FuzzExpiry internal/token:FuzzExpiryOfBuiltJWT \
	          internal/redact:FuzzURL internal/browser:FuzzFromCDP internal/cookies:FuzzWriteNetscape internal/cache:FuzzDecode \
	          internal/escape:FuzzControl internal/backend:FuzzCacheName internal/api:FuzzAnswer; do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name"; \
	  $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) ./$$pkg || exit 1; \
	done

# GoReleaser, run from the module proxy at a version that builds with this Go.
GORELEASER = github.com/goreleaser/goreleaser/v2@v2.15.1

## release-snapshot: archives, checksums, .deb and .rpm for every target in dist/ (no publishing)
# GoReleaser reads no commit from a clone without a remote; CLILOGIN_COMMIT
# gives it the one git knows.
release-snapshot:
	@c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && export CLILOGIN_COMMIT=$$c; \
	$(GO) run $(GORELEASER) release --snapshot --clean --skip=publish,announce,sign,validate

## release-check: the snapshot builds, its .deb installs and runs, and is removed again (needs root)
release-check: release-snapshot
	scripts/release-check.sh

clean:
	rm -rf bin dist
