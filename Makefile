# headroom build and test entry points. `make test` is what CI runs (.ci/run).

GO        ?= go
GOBIN_DIR := $(shell $(GO) env GOPATH | cut -d: -f1)/bin
STATICCHECK ?= $(GOBIN_DIR)/staticcheck

# Each fuzz target runs this long under `make fuzz`.
FUZZTIME ?= 1m

# Lines per generated log file under `make bench`.
BENCH_LINES ?= 2000000

.PHONY: all help test deps lint build quickstart bench fuzz screenshots clean

all: test

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## test: install missing test deps, lint, then every test with -race (integration tests required)
# The steps run in order even under make -j. HEADROOM_INTEGRATION=1 makes an
# integration test whose binary is missing fail instead of skip.
test:
	@scripts/test-deps.sh
	@scripts/gofmt-check.sh
	$(GO) vet ./...
	$(STATICCHECK) ./...
	HEADROOM_INTEGRATION=1 $(GO) test -race -count=1 -timeout 30m ./...

## deps: install missing Debian packages and Go tools the tests need
deps:
	@scripts/test-deps.sh

## lint: gofmt check, go vet, staticcheck
lint:
	@scripts/test-deps.sh tools
	@scripts/gofmt-check.sh
	$(GO) vet ./...
	$(STATICCHECK) ./...

## build: the static headroom binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -o bin/headroom ./cmd/headroom

## quickstart: import the bundled sample log into headroom-quickstart/ and print its SLOs
quickstart: build
	./bin/headroom quickstart

## bench: end-to-end import benchmark against wc -l, plus the Go benchmarks
bench:
	BENCH_LINES=$(BENCH_LINES) scripts/bench.sh

## fuzz: every fuzz target, FUZZTIME each
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## screenshots: regenerate docs/img/*.png, the README's dashboard images, in headless chromium
screenshots:
	GO=$(GO) HEADROOM_SCREENSHOTS=$(CURDIR)/docs/img scripts/screenshots.sh

## clean: remove bin/ and bench-out/
clean:
	rm -rf bin bench-out
