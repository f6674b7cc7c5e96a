# Braid — build, test, demo. `make test` installs what it needs.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
GOPATH    := $(shell $(GO) env GOPATH)
WASM_EXEC := $(GOROOT)/lib/wasm
STATICCHECK := $(GOPATH)/bin/staticcheck
FUZZTIME  ?= 20000x
TEST_TIMEOUT ?= 25m

.PHONY: all build web web-profile demo test test-deps npm-deps lint unit wasm-core wasm-browser e2e interop fuzz fuzz-brief bench bench-smoke clean

all: build

build: web
	$(GO) build -o bin/braid ./cmd/native

# The browser client: web/braid.wasm and Go's matching wasm_exec.js.
web:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o web/braid.wasm ./cmd/wasm
	cp $(WASM_EXEC)/wasm_exec.js web/wasm_exec.js

# The browser build with its symbol names, for bench/browser-profile.mjs
# (make web restores the stripped one).
web-profile:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -o web/braid.wasm ./cmd/wasm
	cp $(WASM_EXEC)/wasm_exec.js web/wasm_exec.js

demo: build
	./bin/braid demo

# Everything CI runs: dependencies, lint, unit and interop tests, the core
# under js/wasm, and brief fuzz runs over the committed corpora.
test: test-deps build lint unit wasm-core wasm-browser e2e fuzz-brief bench-smoke

test-deps:
	bash scripts/install-test-deps.sh
	$(MAKE) npm-deps
	@test -x $(STATICCHECK) || GOFLAGS=-mod=mod $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

unit:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

interop: build
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./test/interop/

wasm-core:
	PATH="$$PATH:$(WASM_EXEC)" GOOS=js GOARCH=wasm $(GO) test -count=1 ./core/...
	GOOS=js GOARCH=wasm $(GO) build ./...

# npm packages of the browser tests, from the committed lockfile; skipped
# when node_modules already matches it.
npm-deps:
	@if ! cmp -s web/e2e/package-lock.json web/e2e/node_modules/.package-lock.json.installed 2>/dev/null; then \
		cd web/e2e && npm ci --ignore-scripts --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.json.installed; \
	fi

# The browser-only code under Node: IndexedDB storage (fake-indexeddb), the
# browser's node, the WebRTC data channel (@roamhq/wrtc), fetch, and the
# JavaScript bridge and the API cmd/wasm exports.
wasm-browser: npm-deps
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$(CURDIR)/scripts/wasm-node-exec.sh" \
		./persist/ ./node/ ./transport/webrtc/ ./transport/fetch/ ./internal/jsbridge/ ./internal/piecehash/ ./internal/timing/ ./cmd/wasm/

# Browser tests: headless Chromium, WebTorrent in Node, in a private network namespace.
e2e: build
	BRAID_E2E_NO_BUILD=1 bash web/e2e/run.sh

fuzz-brief:
	bash scripts/fuzz.sh $(FUZZTIME)

fuzz:
	bash scripts/fuzz.sh $${FUZZTIME:-5m}

# Side-by-side benchmark against libtorrent, aria2, Transmission and
# anacrolix/torrent; BENCH_SIZE and BENCH_RUNS scale it.
bench: build
	bash bench/run.sh

# The benchmark at a tiny size, so it cannot rot; asserts nothing on speed.
bench-smoke: build
	@if [ -f bench/run.sh ]; then BENCH_SIZE=16MiB BENCH_RUNS=1 bash bench/run.sh --smoke; else echo "bench/run.sh missing"; exit 1; fi

clean:
	rm -rf bin web/braid.wasm web/wasm_exec.js
