//go:build linux

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// variant is one way to download a URL into a run folder: get returns
// what it cost and the file it wrote ("" when it keeps none).
type variant struct {
	name string
	get  func(ctx context.Context, dir string) (sample, string, error)
}

func (b *bench) raw(url string) variant {
	return variant{"raw Go client → io.Discard (ceiling)", func(ctx context.Context, dir string) (sample, string, error) {
		s, _, err := b.run(ctx, dir, b.self, "internal-get", url)
		return s, "", err
	}}
}

func (b *bench) curl(url string) variant {
	return variant{"curl -o", func(ctx context.Context, dir string) (sample, string, error) {
		out := filepath.Join(dir, "out", "model.bin")
		s, _, err := b.run(ctx, dir, b.tools["curl"], "-q", "-sS", "-f", "-o", out, url)
		return s, out, err
	}}
}

// thenSync is v followed by `sync FILE` on the file it wrote, as
// `curl -o f URL && sync f` is: the durable baseline, since ModelFetch
// makes every file durable before it calls it done and curl does not.
func (b *bench) thenSync(v variant) variant {
	return variant{v.name + ", then sync", func(ctx context.Context, dir string) (sample, string, error) {
		s, out, err := v.get(ctx, dir)
		if err != nil {
			return s, "", err
		}
		synced, _, err := b.run(ctx, dir, b.tools["sync"], out)
		if err != nil {
			return s, "", err
		}
		return s.add(synced), out, nil
	}}
}

// curlSHA is the pipeline a careful user runs: download, then hash.
func (b *bench) curlSHA(url string, size int64) variant {
	return variant{"curl -o, then sha256sum", func(ctx context.Context, dir string) (sample, string, error) {
		out := filepath.Join(dir, "out", "model.bin")
		s, _, err := b.run(ctx, dir, b.tools["curl"], "-q", "-sS", "-f", "-o", out, url)
		if err != nil {
			return s, "", err
		}
		h, stdout, err := b.run(ctx, dir, b.tools["sha256sum"], out)
		if err != nil {
			return s, "", err
		}
		if f := strings.Fields(stdout); len(f) == 0 || f[0] != b.sums[size] {
			return s, "", fmt.Errorf("sha256sum: %w", errMismatch)
		}
		return s.add(h), out, nil
	}}
}

// aria2 runs aria2c with -x16 -s16 and extra. It preallocates with
// fallocate as ModelFetch does; its default writes the whole file with
// zeros first, which would not be a fair baseline.
func (b *bench) aria2(url string, extra ...string) variant {
	name := strings.Join(append([]string{"aria2c -x16 -s16"}, extra...), " ")
	return variant{name, func(ctx context.Context, dir string) (sample, string, error) {
		args := append([]string{b.tools["aria2c"], "--no-conf", "-q", "-x16", "-s16"}, extra...)
		args = append(args, "--file-allocation=falloc", "--allow-overwrite=true", "--auto-file-renaming=false",
			"-d", filepath.Join(dir, "out"), "-o", "model.bin", url)
		s, _, err := b.run(ctx, dir, args...)
		return s, filepath.Join(dir, "out", "model.bin"), err
	}}
}

// modelfetch runs `modelfetch get` with its default settings plus extra
// flags; the path it prints is the file to check.
func (b *bench) modelfetch(name, url string, extra ...string) variant {
	return variant{name, func(ctx context.Context, dir string) (sample, string, error) {
		args := append([]string{b.cfg.bin, "get", "--dir", filepath.Join(dir, "out")}, extra...)
		s, stdout, err := b.run(ctx, dir, append(args, url)...)
		if err != nil {
			return s, "", err
		}
		out := strings.TrimSpace(stdout)
		if out == "" {
			return s, "", fmt.Errorf("modelfetch printed no path")
		}
		return s, out, nil
	}}
}

// has says whether every named program is installed.
func (b *bench) has(names ...string) bool {
	for _, n := range names {
		if b.tools[n] == "" {
			return false
		}
	}
	return true
}

// case1 is the unthrottled loopback: what each client costs when the
// link is free and the two cores decide.
func (b *bench) case1(ctx context.Context) error {
	url, size := b.srv.url("plain", b.cfg.size), b.cfg.size
	vs := append([]variant{b.raw(url)}, b.curlPeers(b.curl(url))...)
	if b.has("aria2c") {
		vs = append(vs, b.aria2(url))
	}
	vs = append(vs, b.modelfetch("modelfetch get", url))
	if b.has("curl", "sha256sum") {
		vs = append(vs, b.curlSHA(url, size))
	}
	vs = append(vs, b.modelfetch("modelfetch get --sha256", url, "--sha256", b.sums[size]))
	rows, err := b.measure(ctx, "1", size, vs)
	if err != nil {
		return err
	}
	ceiling, curl, curlSync, aria, mf, curlSHA, mfSHA := rows[0], b.find("1", "curl -o"), b.find("1", "curl -o, then sync"),
		b.find("1", "aria2c -x16 -s16"), b.find("1", "modelfetch get"), b.find("1", "curl -o, then sha256sum"), b.find("1", "modelfetch get --sha256")
	for _, r := range []*row{curl, curlSync, aria, curlSHA} {
		r.against(ceiling, "ceiling")
	}
	againstCurl(mf, curl, curlSync)
	if curlSHA != nil {
		mfSHA.against(curlSHA, "curl+sha256sum")
		mfSHA.goal = goal(ratio(mfSHA, curlSHA) >= 1, "≥ curl+sha256sum")
	}
	return nil
}

// curlPeers is curl's variant v, and v followed by sync, when curl and
// sync are installed.
func (b *bench) curlPeers(v variant) []variant {
	switch {
	case !b.has("curl"):
		return nil
	case !b.has("sync"):
		return []variant{v}
	}
	return []variant{v, b.thenSync(v)}
}

// againstCurl compares ModelFetch's row mf with curl's and with curl's
// followed by sync (the durable baseline); its goal is plain curl's speed,
// which does not sync.
func againstCurl(mf, curl, curlSync *row) {
	mf.against(curl, "curl")
	mf.against(curlSync, "curl+sync")
	if mf != nil && curl != nil {
		mf.goal = goal(ratio(mf, curl) >= 1, "≥ curl")
	}
}

// case2 is a server that caps each connection, as CDNs do.
func (b *bench) case2(ctx context.Context) error {
	url, size := b.srv.url("capped", b.cfg.cappedSize), b.cfg.cappedSize
	ideal := &row{cas: "2", what: fmt.Sprintf("ideal: %d × %s/s", b.cfg.idealConns, humanize.Bytes(uint64(b.cfg.capRate))),
		size: size, fixedRate: float64(b.cfg.idealConns) * b.cfg.capRate, check: "computed"}
	b.rows = append(b.rows, ideal)
	var vs []variant
	if b.has("aria2c") {
		vs = append(vs, b.aria2(url, "-k1M"))
	}
	vs = append(vs, b.modelfetch("modelfetch get (default settings)", url))
	if _, err := b.measure(ctx, "2", size, vs); err != nil {
		return err
	}
	aria, mf := b.find("2", "aria2c -x16 -s16 -k1M"), b.find("2", "modelfetch get (default settings)")
	aria.against(ideal, "ideal")
	mf.against(aria, "aria2c")
	mf.against(ideal, "ideal")
	// Issue 21 asks for 0.95 of the ideal: what is lost is ramp-up and
	// the time between pieces, not the link.
	if aria != nil {
		mf.goal = goal(ratio(mf, aria) >= 1 && ratio(mf, ideal) >= 0.95, "≥ aria2c, ≥ 0.95 ideal")
	} else {
		mf.goal = goal(ratio(mf, ideal) >= 0.95, "≥ 0.95 ideal")
	}
	return nil
}

// case3 drops a connection every cutEvery bytes the server sends.
func (b *bench) case3(ctx context.Context) error {
	url := b.srv.url("cut", b.cfg.size)
	v := b.modelfetch(fmt.Sprintf("modelfetch get, cut every %s", humanize.Bytes(uint64(b.cfg.cutEvery))), url)
	rows, err := b.measure(ctx, "3", b.cfg.size, []variant{v})
	if err != nil {
		return err
	}
	if mf := b.find("1", "modelfetch get"); mf != nil {
		rows[0].against(mf, "case 1")
		rows[0].goal = goal(ratio(rows[0], mf) >= 0.9, "≥ 0.90 case 1")
	}
	return nil
}

// case6 is a busy CDN: 30 % of requests are answered 503 with
// Retry-After: 1. A download that reads each of them as overload crawls.
func (b *bench) case6(ctx context.Context) error {
	url, size := b.srv.url("flaky", b.cfg.size), b.cfg.size
	vs := b.curlPeers(variant{"curl --retry 10 -o", func(ctx context.Context, dir string) (sample, string, error) {
		out := filepath.Join(dir, "out", "model.bin")
		s, _, err := b.run(ctx, dir, b.tools["curl"], "-q", "-sS", "-f", "--retry", "10", "-o", out, url)
		return s, out, err
	}})
	if b.has("aria2c") {
		vs = append(vs, b.aria2(url))
	}
	vs = append(vs, b.modelfetch("modelfetch get, 30 % answered 503", url))
	if _, err := b.measure(ctx, "6", size, vs); err != nil {
		return err
	}
	curl, curlSync, aria, mf := b.find("6", "curl --retry 10 -o"), b.find("6", "curl --retry 10 -o, then sync"),
		b.find("6", "aria2c -x16 -s16"), b.find("6", "modelfetch get, 30 % answered 503")
	mf.against(curl, "curl")
	mf.against(curlSync, "curl+sync")
	mf.against(aria, "aria2c")
	ok := (curl == nil || ratio(mf, curl) >= 1) && (aria == nil || ratio(mf, aria) >= 1)
	mf.goal = goal(ok, "≥ curl --retry, ≥ aria2c")
	return nil
}

// case7 is a server that answers every request with the whole file (200,
// ranges ignored): one connection, so what ModelFetch adds to the copy,
// the sync that makes the file durable above all, shows against curl's.
func (b *bench) case7(ctx context.Context) error {
	url, size := b.srv.url("whole", b.cfg.size), b.cfg.size
	vs := b.curlPeers(b.curl(url))
	if b.has("aria2c") {
		vs = append(vs, b.aria2(url))
	}
	vs = append(vs, b.modelfetch("modelfetch get, no ranges", url))
	if _, err := b.measure(ctx, "7", size, vs); err != nil {
		return err
	}
	mf := b.find("7", "modelfetch get, no ranges")
	againstCurl(mf, b.find("7", "curl -o"), b.find("7", "curl -o, then sync"))
	mf.against(b.find("7", "aria2c -x16 -s16"), "aria2c")
	return nil
}

// case4 compares peak memory for a small and a large file.
func (b *bench) case4(ctx context.Context) error {
	small, large := b.cfg.rssSizes[0], b.cfg.rssSizes[1]
	var rows []*row
	for _, size := range []int64{small, large} {
		rs, err := b.measure(ctx, "4", size, []variant{b.modelfetch("modelfetch get, "+humanize.IBytes(uint64(size)), b.srv.url("plain", size))})
		if err != nil {
			return err
		}
		rows = append(rows, rs[0])
	}
	s, l := rows[0].rssMedian(), rows[1].rssMedian()
	if s == 0 || l == 0 {
		return nil
	}
	sc, lc := rows[0].connsMedian(), rows[1].connsMedian()
	rows[1].ratio = fmt.Sprintf("RSS %+.1f MiB vs %s", float64(l-s)/(1<<20), humanize.IBytes(uint64(small)))
	if sc != lc {
		rows[1].ratio += fmt.Sprintf(" (%d → %d conns)", sc, lc)
	}
	// Flat: connections may cost their buffers, the file's size nothing
	// beyond the few MiB that runs of a Go program differ by; the cap is
	// the issue's.
	flat := l-s <= 4<<20+max(0, lc-sc)<<20
	rows[1].goal = goal(flat && max(s, l) < 64<<20, "flat, < 64 MiB")
	return nil
}

// case5 reads case 1: CPU per byte against curl's.
func (b *bench) case5(context.Context) error {
	pairs := [][2]string{{"modelfetch get", "curl -o"}, {"modelfetch get --sha256", "curl -o, then sha256sum"}}
	for _, p := range pairs {
		mf, base := b.find("1", p[0]), b.find("1", p[1])
		if mf == nil || base == nil || len(mf.samples) == 0 || len(base.samples) == 0 {
			continue
		}
		r := &row{cas: "5", what: "CPU per GB: " + p[0], size: mf.size, samples: mf.samples, cpuOnly: true,
			ratio: fmt.Sprintf("%.2f× %s's CPU", mf.cpuPerGB()/base.cpuPerGB(), p[1]), check: "from case 1"}
		b.rows = append(b.rows, r)
	}
	return nil
}

// find is the row of case cas named what, nil when it was not run.
func (b *bench) find(cas, what string) *row {
	for _, r := range b.rows {
		if r.cas == cas && r.what == what {
			return r
		}
	}
	return nil
}

// warm writes a file of the largest size to the page cache and deletes
// it unsynced. In a virtual machine, memory the guest has never touched
// costs the host a page fault on first use, which made the first runs
// here several times slower than the later ones.
func (b *bench) warm(size int64) error {
	if err := b.enoughSpace(size); err != nil {
		return err
	}
	progress("warming the page cache with %s", humanize.IBytes(uint64(size)))
	path := filepath.Join(b.cfg.dir, "warm.bin")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writePattern(f, b.p, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// diskContext measures this disk's rate for writing and syncing size
// bytes, since ModelFetch syncs what it writes and curl does not.
func (b *bench) diskContext(ctx context.Context, size int64) {
	r := &row{cas: "-", what: "context: this disk, write + fsync", size: size, noCPU: true}
	b.rows = append(b.rows, r)
	for range b.cfg.runs {
		if ctx.Err() != nil {
			return
		}
		s, err := writeSync(filepath.Join(b.cfg.dir, "disk.bin"), b.p, size)
		if err != nil {
			r.fails = append(r.fails, err.Error())
			continue
		}
		r.samples = append(r.samples, s)
	}
	progress("disk: write + fsync %.0f MB/s", r.rate()/1e6)
}

func writeSync(path string, p *origintest.Pattern, size int64) (sample, error) {
	defer os.Remove(path)
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return sample{}, err
	}
	if err := writePattern(f, p, size); err != nil {
		f.Close()
		return sample{}, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return sample{}, err
	}
	if err := f.Close(); err != nil {
		return sample{}, err
	}
	return sample{wall: time.Since(start)}, nil
}

// verify checks that path holds exactly the served file of size bytes.
func verify(path string, size int64, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s has %d bytes, not %d: %w", filepath.Base(path), n, size, errMismatch)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s has SHA-256 %s…, not %s…: %w", filepath.Base(path), got[:12], want[:12], errMismatch)
	}
	return nil
}

// writePattern writes the pattern's first size bytes to w in pieces of
// 1 MiB.
func writePattern(w io.Writer, p *origintest.Pattern, size int64) error {
	// Wrapped, an *os.File cannot choose its own 32 KiB pieces.
	_, err := io.CopyBuffer(struct{ io.Writer }{w}, io.NewSectionReader(p.Sized(size), 0, size), make([]byte, 1<<20))
	return err
}
