# ModelFetch. `make run` starts the app, `make test` runs every check; both
# install the system packages they need first. `make install`, `make deb`
# and `make dist` install and package it (see docs/install.md).

GO ?= go
BIN := bin/modelfetch
APPID := io.github.modelfetch

# The version comes from FyneApp.toml (one place); the commit from git when
# this is a checkout. Both are stamped into the binary (see main.go).
VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo -dirty)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Where install puts things. PREFIX=$$HOME/.local installs for one user,
# without root; DESTDIR stages the tree elsewhere (as make deb does).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share
MANDIR = $(DATADIR)/man
# Debian's zsh reads packages' completions from vendor-completions.
ZSHCOMPDIR = $(DATADIR)/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
# systemd looks for user units in /usr/lib, /usr/local/lib and ~/.local/share.
USERUNITDIR = $(if $(filter $(HOME)/.local,$(PREFIX)),$(DATADIR)/systemd/user,$(PREFIX)/lib/systemd/user)
# The app icon at the sizes launchers look for, made by make build.
ICON_SIZES := 48 64 128 256 512
ICONS := $(foreach s,$(ICON_SIZES),bin/icons/$(s)x$(s)/apps/$(APPID).png)

# cgo + GLFW headers for Fyne (see ../shared/PLATFORM.md).
BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
# dbus: the D-Bus tests (notifications, tray host, NetworkManager and logind
# stand-ins) run on a private dbus-daemon. The X tools: ui's desktop tests
# close the real binary's window under Xvfb and openbox, with and without a
# tray host (status-notifier-watcher), as a person would.
TEST_PKGS := $(BUILD_PKGS) curl dbus xvfb xauth openbox xdotool wmctrl x11-utils \
	haskell-status-notifier-item-utils
# staticcheck 2026.2.2, pinned so that a new check never breaks CI by surprise.
STATICCHECK := v0.8.2
# gocyclo, pinned; every function in the module stays at 15 or less.
GOCYCLO := v0.6.0
# dupl, pinned: a run of DUPL_TOKENS tokens (about eight lines) found twice
# is a copy with small variations; make one function of it.
DUPL := v1.0.0
DUPL_TOKENS := 70

.PHONY: run test build bench deps-build deps-test install uninstall deb dist release check-install

deps-build:
	@sh .ci/packages.sh $(BUILD_PKGS)

deps-test:
	@sh .ci/packages.sh $(TEST_PKGS)

build: deps-build $(ICONS)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN)

# The packages that build without cgo for every system, which make test
# vets (their tests too) for macOS and Windows as well: all but main and the
# window (Fyne's drivers need cgo, and this machine has no macOS SDK), the
# window's tools (ui/internal: they drive X11) and the Windows checks
# (packaging/windows/*: Linux programs that drive wine). For Windows ./ui
# is added: its files build there without cgo.
PORTABLE_PKGS = $(GO) list ./... | grep -v -e '^github.com/modelfetch/modelfetch$$' -e '/ui$$' -e '/ui/internal/' -e '/packaging/windows/'

# The binary is built before vet, which then reuses its compiled packages;
# check-install needs it.
test: deps-test build
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) mod tidy -diff
	$(GO) vet ./...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet $$($(PORTABLE_PKGS))
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet $$($(PORTABLE_PKGS)) ./ui
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...
	$(GO) run github.com/fzipp/gocyclo/cmd/gocyclo@$(GOCYCLO) -over 15 .
	$(MAKE) --no-print-directory check-duplicates
	$(MAKE) --no-print-directory check-layers
	$(MAKE) --no-print-directory check-install
	$(GO) test -race -timeout 20m ./...

# The structure issue 16 gave the tree (downloader/internal/layers): it
# prints how many top-level names package downloader exports (at most 60),
# and fails when ui and ui/cli import each other, when a package under
# downloader/internal/transfer imports downloader, when anything under
# downloader imports a UI, or when downloader's package doc lacks an
# Example that runs. Its test, run by go test, checks that the links and
# names in README.md, CONTRIBUTING.md and docs/ exist.
.PHONY: check-layers
check-layers:
	$(GO) run ./downloader/internal/layers -go "$(GO)"

# Code written twice (see DUPL above): dupl lists each pair of places.
.PHONY: check-duplicates
check-duplicates:
	@out=$$($(GO) run github.com/mibk/dupl@$(DUPL) -t $(DUPL_TOKENS) -plumbing .) || exit 1; \
	if [ -n "$$out" ]; then echo "$$out"; echo "check-duplicates: the code above is written twice; make one function of it"; exit 1; fi

# The engine's chaos test over thousands of seeds (make test runs a few
# hundred); CHAOSFLAGS="-seed N" replays one.
CHAOSFLAGS ?= -chaos.n 5000

.PHONY: chaos
chaos:
	$(GO) test -count=1 -timeout 60m -run 'TestChaos$$' ./downloader/ $(CHAOSFLAGS)

# The engine's Go benchmarks: how fast work stealing ends a file, that the
# rate cap holds, what streaming clients cost (tests assert behaviour,
# benchmarks measure speed).
.PHONY: gobench
gobench:
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 3x ./downloader/...

# install only copies: `make build` first, so that `sudo make install`
# needs no Go as root. Without a DESTDIR it refreshes the launcher's caches.

$(ICONS) &: assets/icon.png packaging/icons/main.go
	$(GO) run ./packaging/icons -src assets/icon.png -out bin/icons $(ICON_SIZES)

$(BIN):
	$(MAKE) --no-print-directory build

install: $(BIN) $(ICONS)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/modelfetch
	install -D -m 0644 packaging/$(APPID).desktop $(DESTDIR)$(DATADIR)/applications/$(APPID).desktop
	$(foreach s,$(ICON_SIZES),install -D -m 0644 bin/icons/$(s)x$(s)/apps/$(APPID).png $(DESTDIR)$(DATADIR)/icons/hicolor/$(s)x$(s)/apps/$(APPID).png;)
	install -D -m 0644 packaging/$(APPID).metainfo.xml $(DESTDIR)$(DATADIR)/metainfo/$(APPID).metainfo.xml
	install -d $(DESTDIR)$(MANDIR)/man1
	gzip -9n < packaging/modelfetch.1 > $(DESTDIR)$(MANDIR)/man1/modelfetch.1.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man1/modelfetch.1.gz
	install -D -m 0644 packaging/completions/modelfetch.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/modelfetch
	install -D -m 0644 packaging/completions/_modelfetch $(DESTDIR)$(ZSHCOMPDIR)/_modelfetch
	install -D -m 0644 packaging/completions/modelfetch.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/modelfetch.fish
	install -d $(DESTDIR)$(USERUNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|' packaging/modelfetch.service.in > $(DESTDIR)$(USERUNITDIR)/modelfetch.service
	chmod 0644 $(DESTDIR)$(USERUNITDIR)/modelfetch.service
	$(if $(DESTDIR),,$(MAKE) --no-print-directory refresh-desktop)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/modelfetch $(DESTDIR)$(DATADIR)/applications/$(APPID).desktop \
		$(foreach s,$(ICON_SIZES),$(DESTDIR)$(DATADIR)/icons/hicolor/$(s)x$(s)/apps/$(APPID).png) \
		$(DESTDIR)$(DATADIR)/metainfo/$(APPID).metainfo.xml $(DESTDIR)$(MANDIR)/man1/modelfetch.1.gz \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/modelfetch $(DESTDIR)$(ZSHCOMPDIR)/_modelfetch \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/modelfetch.fish $(DESTDIR)$(USERUNITDIR)/modelfetch.service
	$(if $(DESTDIR),,$(MAKE) --no-print-directory refresh-desktop)

# The launcher finds a new app and its icon at once when these caches are
# refreshed; without the tools it finds them at the next login.
.PHONY: refresh-desktop
refresh-desktop:
	@if command -v update-desktop-database >/dev/null; then update-desktop-database -q $(DATADIR)/applications; fi
	@if command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -q -t -f $(DATADIR)/icons/hicolor; fi

# Checks what install writes (packaging/check-install.sh).
CHECK_PKGS := desktop-file-utils appstream bash-completion file

check-install: $(BIN) $(ICONS)
	@sh .ci/packages.sh $(CHECK_PKGS)
	sh packaging/check-install.sh $(VERSION)

# A Debian package of the same install tree with PREFIX=/usr, its Depends
# found by dpkg-shlibdeps; and for `make dist`, a tarball of the tree with
# PREFIX=/usr/local for other distributions, and SHA-256 sums of both (and
# of the Windows files, see DIST_WINDOWS). Their binary is stripped of its
# symbols and DWARF (a third smaller; Go's stack traces do not need them).
DEB_PKGS := dpkg-dev
ARCH = $(shell dpkg --print-architecture)
DEB = dist/modelfetch_$(VERSION)_$(ARCH).deb
TARBALL = dist/modelfetch-$(VERSION)-linux-$(ARCH).tar.xz

deb: build
	@sh .ci/packages.sh $(DEB_PKGS)
	rm -rf bin/deb && mkdir -p dist
	$(MAKE) --no-print-directory install DESTDIR=bin/deb PREFIX=/usr
	strip --strip-unneeded bin/deb/usr/bin/modelfetch
	sh packaging/debian/build.sh bin/deb $(VERSION) $(ARCH) $(DEB)

dist release: deb
	rm -rf bin/tar
	$(MAKE) --no-print-directory install DESTDIR=bin/tar PREFIX=/usr/local
	strip --strip-unneeded bin/tar/usr/local/bin/modelfetch
	tar -C bin/tar --sort=name --owner=0 --group=0 --numeric-owner -cJf $(TARBALL) usr
	$(if $(DIST_WIN),$(MAKE) --no-print-directory windows-installer)
	cd dist && sha256sum $(notdir $(DEB) $(TARBALL) $(DIST_WIN)) > SHA256SUMS
	cat dist/SHA256SUMS

# Screenshots of the real window (see ../shared/PLATFORM.md): Xvfb, a session
# bus, dunst for notifications and status-notifier-watcher as the tray host;
# a local server feeds a real download. Also prints time to first paint and
# idle CPU and memory. Then the Windows build's window under wine
# (screenshot-windows); SCREENSHOT_WINDOWS=no leaves it out.
SCREENSHOT_WINDOWS ?= yes
SHOT_PKGS := xvfb xauth dbus dunst imagemagick haskell-status-notifier-item-utils x11-utils xdotool

.PHONY: screenshot
screenshot: build
	@sh .ci/packages.sh $(SHOT_PKGS)
	$(GO) build -o bin/screenshot ./ui/internal/screenshot
	xvfb-run -a -s '-screen 0 1920x1080x24' dbus-run-session -- bin/screenshot -bin $(BIN) -out ui/testdata
	$(if $(filter yes,$(SCREENSHOT_WINDOWS)),$(MAKE) --no-print-directory screenshot-windows)

# Starting at login (packaging/screenshot-login.sh): --hidden with and
# without a tray host, a download left in the journal carried on, and the
# login setting writing and removing the autostart entry; screenshots in
# packaging/testdata.
.PHONY: screenshot-login
screenshot-login: build
	@sh .ci/packages.sh $(SHOT_PKGS) xdotool desktop-file-utils
	$(GO) build -o bin/bench ./downloader/bench
	xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- sh packaging/screenshot-login.sh $(BIN) bin/bench packaging/testdata

# The window's cost (ui/internal/screenshot -bench): CPU and memory of the
# real window under Xvfb with openbox, with and without a tray host, idle
# and with downloads from a slow local server, each beside `modelfetch
# serve` doing the same downloads. Each run starts its own session bus, as
# dbus-run-session does. About 25 minutes; WINDOWBENCHFLAGS="-runs 1
# -measure 10s" for a quick look.
WINDOWBENCH_PKGS := xvfb xauth dbus openbox wmctrl xdotool x11-utils imagemagick haskell-status-notifier-item-utils
WINDOWBENCHFLAGS ?=

.PHONY: bench-window
bench-window: build
	@sh .ci/packages.sh $(WINDOWBENCH_PKGS)
	$(GO) build -o bin/screenshot ./ui/internal/screenshot
	xvfb-run -a -s '-screen 0 1920x1080x24' bin/screenshot -bench -bin $(BIN) $(WINDOWBENCHFLAGS)

# Speed, CPU and memory against curl and aria2c, on a local server (see
# downloader/bench and docs/bench.md); BENCHFLAGS="-runs 1 -size 256MiB" etc.
# for a quick run.
BENCHFLAGS ?=

bench: build
	@sh .ci/packages.sh curl aria2 || echo "bench: curl or aria2c is missing; its rows are skipped"
	$(GO) build -o bin/bench ./downloader/bench
	./bin/bench -bin $(BIN) $(BENCHFLAGS)

# The stores checked against the real apps and Hub clients this machine can
# run (packaging/interop.sh): a real Ollama (OLLAMA_BIN) and the Python
# huggingface_hub (HF_HUB_SRC, FILELOCK_SRC); each is skipped, saying so,
# when it is not here. Not part of make test: the peers are not ours to
# fetch or build.
.PHONY: interop
interop:
	sh packaging/interop.sh

# ---------------------------------------------------------------------------
# Windows, cross-built here with Debian's mingw-w64 and run under wine (see
# packaging/windows/ and ../shared/PLATFORM.md).
#
# One program, two files. Windows decides when a program is linked whether
# it is a console program (cmd waits for it and gets its output and exit
# code, but started from the Start menu it opens a console window) or a
# GUI one (no console window, but cmd does not wait for it and its output
# goes nowhere). A GUI program that calls AttachConsole prints into the
# terminal only after cmd has shown its next prompt, and a script never
# gets its exit code. So, as Visual Studio's devenv.exe and devenv.com:
# modelfetch.exe is linked with -H windowsgui (the Start menu, Explorer,
# start at login) and modelfetch.com is the same source linked as a console
# program. cmd and PowerShell try .com before .exe (PATHEXT), so
# `modelfetch get ...` in a terminal runs the .com, which waits and returns
# the exit code; the installer puts the folder on the person's PATH. Both
# files carry the icon, the version and the manifest
# (packaging/windows/modelfetch.rc), compiled by Debian's windres into a
# .syso that go build links for windows/amd64 only: no Go tool or module
# is needed for resources. The .syso is made and removed around each
# build, never committed.
WIN_CC := x86_64-w64-mingw32-gcc
WIN_WINDRES := x86_64-w64-mingw32-windres
WIN_PKGS := gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 icoutils
WIN_GOENV := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$(WIN_CC)
WIN_EXE := dist/modelfetch.exe
WIN_COM := dist/modelfetch.com
WIN_SETUP = dist/modelfetch-$(VERSION)-windows-amd64-setup.exe
WIN_ICO := bin/windows/modelfetch.ico
WIN_ICON_SIZES := 16 20 24 32 40 48 64 256
WIN_SYSO := modelfetch_windows_amd64.syso
# Windows versions have four numbers: FyneApp.toml's Version and Build.
WIN_VERSION_NUM := $(VERSION).$(shell sed -n 's/^Build *= *\([0-9]*\).*/\1/p' FyneApp.toml)
comma := ,

.PHONY: windows windows-installer check-windows-installer

# win-build OUT,LDFLAGS: a .syso for each file (it holds the file's name),
# removed whatever the build did. windres hands the -D values to the
# preprocessor through a shell, hence \". Symbols and DWARF are left out
# as in the .deb (a third smaller; stack traces do not need them).
define win-build
	$(WIN_WINDRES) -I packaging/windows -I $(dir $(WIN_ICO)) -DVERSION_NUM=$(subst .,$(comma),$(WIN_VERSION_NUM)) \
		'-DVERSION_STR=\"$(VERSION)\"' '-DPRODUCT_STR=\"$(VERSION)$(if $(COMMIT), ($(COMMIT)))\"' \
		'-DFILE_NAME=\"$(notdir $(1))\"' -O coff -i packaging/windows/modelfetch.rc -o $(WIN_SYSO)
	$(WIN_GOENV) $(GO) build -ldflags "$(LDFLAGS) -s -w $(2)" -o $(1) . ; s=$$?; rm -f $(WIN_SYSO); exit $$s
endef

# Cold, Fyne's cgo for Windows takes 6 to 11 minutes on 2 cores; the
# second file only links again.
windows: $(WIN_ICO)
	@sh .ci/packages.sh $(WIN_PKGS)
	mkdir -p dist
	$(call win-build,$(WIN_EXE),-H windowsgui)
	$(call win-build,$(WIN_COM),)
	ls -l $(WIN_EXE) $(WIN_COM)

# The icon at the sizes Windows shows, scaled as the Linux ones are; the
# 256 one is kept as PNG inside the .ico, the others as bitmaps.
$(WIN_ICO): assets/icon.png packaging/icons/main.go
	@sh .ci/packages.sh icoutils
	$(GO) run ./packaging/icons -src assets/icon.png -out bin/windows/icons -name icon.png $(WIN_ICON_SIZES)
	icotool -c -o $@ $(foreach s,$(filter-out 256,$(WIN_ICON_SIZES)),bin/windows/icons/$(s)x$(s)/apps/icon.png) \
		--raw=bin/windows/icons/256x256/apps/icon.png

# A per-user installer (packaging/windows/installer.nsi): no admin rights,
# %LOCALAPPDATA%\Programs\ModelFetch, a Start menu entry, the folder on
# PATH, an uninstaller in Settings > Apps.
windows-installer: windows
	@sh .ci/packages.sh nsis
	makensis -V2 -DVERSION=$(VERSION) -DVERSION_NUM=$(WIN_VERSION_NUM) -DAPPID=$(APPID) \
		-DEXE=$(abspath $(WIN_EXE)) -DCOM=$(abspath $(WIN_COM)) -DICON=$(abspath $(WIN_ICO)) \
		-DOUTFILE=$(abspath $(WIN_SETUP)) packaging/windows/installer.nsi
	ls -l $(WIN_SETUP)

# make dist adds the Windows programs and installer to the Linux files and
# SHA256SUMS; DIST_WINDOWS=no leaves them out.
DIST_WINDOWS ?= yes
DIST_WIN = $(if $(filter yes,$(DIST_WINDOWS)),$(WIN_EXE) $(WIN_COM) $(WIN_SETUP))

# Go's runtime needs ProcessPrng, which wine 8 lacks: this DLL gives it
# (see packaging/windows/processprng.c); wine.sh puts it in the prefix.
WINE_PRNG := bin/windows/bcryptprimitives.dll
WINE_PKGS := gcc-mingw-w64-x86-64 wine

$(WINE_PRNG): packaging/windows/processprng.c packaging/windows/bcryptprimitives.def
	@sh .ci/packages.sh $(WINE_PKGS)
	mkdir -p $(@D)
	$(WIN_CC) -O2 -Wall -Wextra -Werror -shared -s -nostdlib -Wl,--entry,DllMain -o $@ $^ -ladvapi32

# The packages whose tests run as Windows programs under wine: the engine
# (with the chaos test's seeds and the kill storm), the local API, the
# processes and the command line, and of the window only the start at
# login (its other tests need Fyne's drivers and D-Bus). Not here: hf and
# apps, whose tests assume symlinks, Unix paths and file modes (see
# packaging/windows/README.md). A package may carry its test binary's
# flags after a colon (see test.sh); TESTFLAGS goes to every binary.
#
# Two engine tests are skipped: they delete a finished file while the
# engine's background check may be hashing it. ModelFetch opens it shared
# for deletion, and Windows (Go deletes with POSIX semantics on NTFS)
# removes the name at once, as Linux does; wine 8 has no POSIX deletion and
# keeps the name until the hash ends, so the tests see it still there.
WIN_SKIP := ^TestDownloadOnce$$|^TestEnsure$$/^complete_but_the_file_is_gone$$
WIN_TEST_PKGS := ./downloader:-test.skip=$(WIN_SKIP) ./downloader/internal/disk ./downloader/internal/ledger \
	./downloader/internal/transfer ./downloader/fetch ./downloader/words ./downloader/network \
	./downloader/catalog ./downloader/origintest ./downloader/api ./downloader/instance \
	./ui/cli ./ui/cli/hush ./ui/term ./ui:-test.run=^TestRun

.PHONY: test-windows
test-windows: $(WINE_PRNG)
	@sh .ci/packages.sh $(WINE_PKGS)
	sh packaging/windows/test.sh $(foreach p,$(WIN_TEST_PKGS),'$(p)')

# The Windows build under wine downloads a 1 GiB file from a local server,
# is killed half way (SIGKILL to its wine process, as TerminateProcess or a
# crash), and resumes; the file's SHA-256 and the bytes the server sent are
# checked and printed (packaging/windows/resumecheck).
RESUMEFLAGS ?= -size 1GiB

.PHONY: check-windows-resume
check-windows-resume: windows $(WINE_PRNG)
	@sh .ci/packages.sh $(WINE_PKGS)
	$(GO) run ./packaging/windows/resumecheck -exe $(WIN_COM) $(RESUMEFLAGS)

# The real window of the Windows build under wine and Xvfb, downloading
# two files from a local server (packaging/windows/windowshot).
.PHONY: screenshot-windows
screenshot-windows: windows $(WINE_PRNG)
	@sh .ci/packages.sh $(WINE_PKGS) xvfb xauth imagemagick xdotool
	xvfb-run -a -s '-screen 0 1280x800x24' $(GO) run ./packaging/windows/windowshot -exe $(WIN_EXE) -com $(WIN_COM) -out packaging/windows/testdata/window.png

# The installer run under wine in a new prefix: a silent install, the
# installed modelfetch run by name from cmd, a silent uninstall; the files
# and registry keys are listed before and after (packaging/windows/check-installer.sh).
check-windows-installer: windows-installer $(WINE_PRNG)
	@sh .ci/packages.sh $(WINE_PKGS)
	sh packaging/windows/check-installer.sh $(WIN_SETUP) version
