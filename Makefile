# ModelFetch. `make run` starts the app, `make test` runs every check; both
# install the system packages they need first.

GO ?= go
BIN := bin/modelfetch

# cgo + GLFW headers for Fyne (see ../shared/PLATFORM.md).
BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
TEST_PKGS := $(BUILD_PKGS) curl
# staticcheck 2026.2.2, pinned so that a new check never breaks CI by surprise.
STATICCHECK := v0.8.2
# gocyclo, pinned; the engine's own files keep every function at 15 or less.
GOCYCLO := v0.6.0

.PHONY: run test build bench deps-build deps-test

deps-build:
	@sh .ci/packages.sh $(BUILD_PKGS)

deps-test:
	@sh .ci/packages.sh $(TEST_PKGS)

build: deps-build
	$(GO) build -o $(BIN) .

run: build
	./$(BIN)

test: deps-test
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...
	$(GO) run github.com/fzipp/gocyclo/cmd/gocyclo@$(GOCYCLO) -over 15 downloader/*.go downloader/bench
	$(GO) test -race -timeout 20m ./...

# The engine's chaos test over thousands of seeds (make test runs a few
# hundred); CHAOSFLAGS="-seed N" replays one.
CHAOSFLAGS ?= -chaos.n 5000

.PHONY: chaos
chaos:
	$(GO) test -count=1 -timeout 60m -run 'TestChaos$$' ./downloader/ $(CHAOSFLAGS)

# Screenshots of the real window (see ../shared/PLATFORM.md): Xvfb, a session
# bus, dunst for notifications and status-notifier-watcher as the tray host;
# a local server feeds a real download. Also prints time to first paint and
# idle CPU and memory.
SHOT_PKGS := xvfb xauth dbus dunst imagemagick haskell-status-notifier-item-utils x11-utils

.PHONY: screenshot
screenshot: build
	@sh .ci/packages.sh $(SHOT_PKGS)
	$(GO) build -o bin/screenshot ./ui/internal/screenshot
	xvfb-run -a -s '-screen 0 1600x900x24' dbus-run-session -- bin/screenshot -bin $(BIN) -out ui/testdata

# Speed, CPU and memory against curl and aria2c, on a local server (see
# downloader/bench and README.md); BENCHFLAGS="-runs 1 -size 256MiB" etc.
# for a quick run.
BENCHFLAGS ?=

bench: build
	@sh .ci/packages.sh curl aria2 || echo "bench: curl or aria2c is missing; its rows are skipped"
	$(GO) build -o bin/bench ./downloader/bench
	./bin/bench -bin $(BIN) $(BENCHFLAGS)
