# Ashiato: the two commands are `make run` (needs only Go) and `make test` (Go, plus the Debian/Ubuntu
# packages below, which it installs itself). Everything else is a helper for them.
GO        ?= go
PKG       := ./...
BIN       := bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 0

# Every Debian/Ubuntu package the tests need, in one list: add yours here, and `make deps` (the first step
# of `make test`) installs whatever is missing. "a|b" means either (Debian's chromium, Ubuntu's
# chromium-browser).
DEB_PACKAGES := make git ca-certificates gcc libc6-dev \
	mosquitto mosquitto-clients ffmpeg qemu-user-static qemu-user strace \
	postgresql chromium|chromium-browser fonts-ipaexfont-gothic lintian poppler-utils shellcheck

# Packages whose tests also run as ARM binaries under qemu-user.
ARM_PKGS  := ./drivers/... ./board/... ./agent/ring/... ./agent/tracker/... ./agent/zones/... ./hal/... ./internal/...

# Systems besides Linux whose builds `make test` vets: the pure parts (tracker, evaluator, tools, the agent
# with synthetic and replayed sources) must keep building there; device code has honest stubs.
OTHER_OS  := darwin windows

.PHONY: run test deps build office cross vet vet-other fmt-check unit race full arm privacy selfcontained bench bench-load armcount deb clean

# The demo's loopback addresses: the agent's embedded broker, and the back office's /healthz and /metrics.
DEMO_MQTT ?= 127.0.0.1:18830
DEMO_HTTP ?= 127.0.0.1:8090

## run: build and run the demo: a synthetic shop floor, the agent with its embedded MQTT broker and live
## summary, a second demo sensor, and the back office storing both, computing their analytics (data in
## bin/office, log in bin/office.log) and serving the dashboard (login demo / ashiato-demo), the public page
## and the signage. The demo's configurations are in deploy/demo (the notice's policy_url is the office's
## public page; the office's layout is in image space over the synthetic scene).
run: build office
	@mkdir -p $(BIN)
	@./$(BIN)/ashiato-office serve -config deploy/demo/office.toml -broker tcp://$(DEMO_MQTT) -data-dir $(BIN)/office \
		-listen $(DEMO_HTTP) 2>$(BIN)/office.log & office=$$!; \
	./$(BIN)/ashiato -config deploy/demo/agent.toml -source synth:seed=2 -broker tcp://$(DEMO_MQTT) -sensor sensor-2 \
		-log-level error & second=$$!; \
	trap 'kill $$office $$second 2>/dev/null; wait $$office $$second 2>/dev/null' EXIT INT TERM; \
	echo "dashboard:    http://$(DEMO_HTTP)/dashboard   (login: demo / ashiato-demo)"; \
	echo "public page:  http://$(DEMO_HTTP)/p/demo-store   (the QR code's target; signage: http://$(DEMO_HTTP)/signage/demo-store)"; \
	echo "back office:  data in $(BIN)/office (sqlite3 $(BIN)/office/office.db), log $(BIN)/office.log, metrics http://$(DEMO_HTTP)/metrics"; \
	./$(BIN)/ashiato -config deploy/demo/agent.toml -source synth -broker embedded -listen $(DEMO_MQTT) -stats-interval 1s \
		-summary -panel-png $(BIN)/panel.png -log-level warn

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato ./agent/cmd/ashiato

## office: the back office, bin/ashiato-office.
office:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-office ./backoffice/cmd/ashiato-office

## test: everything: the packages it needs, format, vet (also for macOS and Windows), unit tests under the
## race detector (amd64), every test including the end-to-end and accuracy ones, the ARM tests under qemu,
## the cross builds, the privacy audit and memory scan, and the self-containment check of a fresh clone.
test: deps fmt-check vet vet-other race full arm cross privacy selfcontained
	@echo "make test: all passed"

## deps: install the missing DEB_PACKAGES (apt-get as root, sudo apt-get otherwise, or say which).
deps:
	@sh scripts/deps.sh '$(DEB_PACKAGES)'

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKG)

vet-other:
	@for os in $(OTHER_OS); do echo "GOOS=$$os $(GO) vet $(PKG)"; GOOS=$$os $(GO) vet $(PKG) || exit 1; done

# The race detector needs cgo; it runs natively on amd64 only. -short leaves out the end-to-end tests (they
# drive separately built agent binaries, so the detector would not see into them) and the long accuracy
# runs of the single-goroutine tracker, which the race detector slows tenfold; `full` runs those.
race:
	CGO_ENABLED=1 $(GO) test -race -short -count=1 -timeout 20m $(PKG)

# Every test, without the race detector: unit, end-to-end against Mosquitto and ffmpeg, accuracy.
full:
	$(GO) test -count=1 -timeout 20m $(PKG)

unit:
	$(GO) test -short -count=1 $(PKG)

# ARM: the driver, board, ring and tracker tests as linux/arm64 and linux/arm (GOARMv6) binaries, and the
# tracker's golden test on the PETS dev clip.
arm:
	@command -v qemu-aarch64-static >/dev/null || { echo "qemu-user-static missing: make deps installs it"; exit 1; }
	GOARCH=arm64 $(GO) test -short -count=1 -exec qemu-aarch64-static $(ARM_PKGS)
	GOARCH=arm GOARM=6 $(GO) test -short -count=1 -exec qemu-arm-static $(ARM_PKGS)
	# The tracker's output on the PETS dev clip, bit for bit as on amd64 (about 15 s and 30 s under qemu).
	GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static -run PETSDevGolden ./internal/trackeval
	GOARCH=arm GOARM=6 $(GO) test -count=1 -exec qemu-arm-static -run PETSDevGolden ./internal/trackeval

## cross: the release binaries: linux arm64, armv6 (Pi Zero/1 and 32-bit Pi OS), armv7, and amd64.
cross:
	@mkdir -p $(BIN)
	GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-arm64 ./agent/cmd/ashiato
	GOOS=linux GOARCH=arm GOARM=6 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-armv6 ./agent/cmd/ashiato
	GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-armv7 ./agent/cmd/ashiato
	GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-amd64 ./agent/cmd/ashiato

## deb: the Debian packages into bin/deb (nfpm as a go tool): ashiato for arm64, armhf (GOARMv6) and amd64,
## ashiato-office for amd64 and arm64. DEB_VERSION must start with a digit; the default sorts by commit time.
DEB_VERSION ?= 0~git$(shell git log -1 --format=%cd --date=format:%Y%m%d%H%M%S 2>/dev/null).$(shell git rev-parse --short HEAD 2>/dev/null)
deb:
	GO=$(GO) deploy/debian/build.sh $(BIN)/deb '$(DEB_VERSION)'

## privacy: the two outside-in checks of tools/privacyaudit on the built agent: an strace audit of a replay
## (no file written; bytes out < 1 % of frame bytes in) and a scan of the idle agent's memory for frame
## markers. The scan reads /proc/PID/mem of a non-dumpable process, which needs root: without it, this
## runs the tool with sudo if sudo works without a password, and otherwise fails saying so.
privacy: build
	$(GO) build -o $(BIN)/privacyaudit ./tools/privacyaudit
	@if [ "$$(id -u)" = 0 ] || ! sudo -n true 2>/dev/null; then \
	  ./$(BIN)/privacyaudit -agent $(BIN)/ashiato; \
	else \
	  sudo -n ./$(BIN)/privacyaudit -agent $(BIN)/ashiato; \
	fi

## selfcontained: a fresh clone of HEAD in an empty directory cites nothing and reaches no path outside it.
selfcontained:
	@sh scripts/selfcontained.sh

## bench: the speed and allocation benchmarks (tracker, synthetic camera, publish latency), 5 runs each into
## bin/bench.txt; compare two such files with benchstat (go run golang.org/x/perf/cmd/benchstat@latest A B).
bench:
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./agent/tracker/... ./internal/trackeval/ ./drivers/synth/... ./agent/publish/ | tee $(BIN)/bench.txt

## armcount: instructions per tracker Step on arm64 and armv6 (GOARM=6) under qemu-user with an instruction-
## counting plugin, on the first 120 frames of the PETS dev clip, into bin/armcount.txt (not part of test).
## ARMCOUNT_SRC=DIR measures another checkout of the module (a worktree of an earlier commit).
ARMCOUNT_SRC ?= .
armcount:
	@mkdir -p $(BIN)
	$(GO) run ./tools/armcount -src $(ARMCOUNT_SRC) -arch arm64,armv6,amd64 | tee $(BIN)/armcount.txt

## bench-load: the back office under a chain's load (BenchmarkLoad in tools/ashiato-load: ashiato-load's
## sensors, a real Mosquitto, the collector, the store), 20,000 tracks a case, 3 runs each, into
## bin/bench-load.txt; about half an hour on 2 shared cores. The figures in README come from it.
bench-load:
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench BenchmarkLoad -benchtime 20000x -count 3 -timeout 90m ./tools/ashiato-load/ | tee $(BIN)/bench-load.txt

clean:
	rm -rf $(BIN)

## fuzz: every fuzz target, one after another, for FUZZTIME each (default 30s); a failing input is written
## to the package's testdata/fuzz/ and stops the run. make test runs the seed corpora only, as plain
## `go test` does.
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for fn in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -c6-); do \
	    echo "== $$dir $$fn ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$dir; \
	  done; \
	done
