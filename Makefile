# Ashiato: the two commands are `make run` and `make test`. Everything else is a helper for them.
GO        ?= go
PKG       := ./...
BIN       := bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 0

# Packages whose tests also run as ARM binaries under qemu-user.
ARM_PKGS  := ./drivers/... ./board/... ./agent/ring/... ./agent/tracker/... ./agent/zones/... ./hal/...

.PHONY: run test build cross vet fmt-check unit race full arm privacy bench clean

## run: build the agent and run the demo: synthetic shop floor, embedded MQTT broker, live summary.
run: build
	@mkdir -p $(BIN)
	./$(BIN)/ashiato -source synth -broker embedded -listen 127.0.0.1:0 -stats-interval 1s -summary \
		-panel-png $(BIN)/panel.png -log-level warn

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato ./agent/cmd/ashiato

## test: everything: format, vet, unit tests under the race detector (amd64), every test including the
## end-to-end and accuracy ones, the ARM tests under qemu, and the cross builds.
test: fmt-check vet race full arm cross privacy
	@echo "make test: all passed"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKG)

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

# ARM: the driver, board, ring and tracker tests as linux/arm64 and linux/arm (GOARMv6) binaries.
arm:
	@command -v qemu-aarch64-static >/dev/null || { echo "qemu-user-static missing: apt-get install -y qemu-user-static"; exit 1; }
	GOARCH=arm64 $(GO) test -short -count=1 -exec qemu-aarch64-static $(ARM_PKGS)
	GOARCH=arm GOARM=6 $(GO) test -short -count=1 -exec qemu-arm-static $(ARM_PKGS)

## cross: the release binaries: linux arm64, armv6 (Pi Zero/1 and 32-bit Pi OS), armv7, and amd64.
cross:
	@mkdir -p $(BIN)
	GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-arm64 ./agent/cmd/ashiato
	GOOS=linux GOARCH=arm GOARM=6 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-armv6 ./agent/cmd/ashiato
	GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-armv7 ./agent/cmd/ashiato
	GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ashiato-linux-amd64 ./agent/cmd/ashiato

## privacy: the two outside-in checks from ../shared/tools (need strace, ffmpeg, python3, root): an strace
## audit of a replay and a memory scan of the live agent for frame bytes that outlived their processing.
privacy:
	@if [ ! -d ../shared/tools ]; then echo "privacy: ../shared/tools absent (outside the workplace): skipped"; \
	else bash ../shared/tools/privacy-audit.sh && bash ../shared/tools/memory-scan.sh; fi

## bench: the speed and allocation benchmarks (tracker, synthetic camera, publish latency), 5 runs each into
## bin/bench.txt; compare two such files with benchstat (go run golang.org/x/perf/cmd/benchstat@latest A B).
bench:
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./agent/tracker/... ./drivers/synth/... ./agent/publish/ | tee $(BIN)/bench.txt

clean:
	rm -rf $(BIN)
