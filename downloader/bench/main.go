//go:build linux

// Command bench measures how fast ModelFetch downloads and what it costs
// in CPU and memory, against a plain Go client, curl and aria2c, all fed
// by one server it starts on 127.0.0.1. `make bench` runs it and prints
// one table; every figure is a median of -runs runs made in that same
// invocation, so on a noisy machine the ratios are what to read.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// config is what the flags set.
type config struct {
	bin        string
	runs       int
	size       int64   // cases 1 and 3
	cappedSize int64   // case 2
	rssSizes   []int64 // case 4
	capRate    float64 // bytes per second per connection in case 2
	idealConns int
	cutEvery   int64 // case 3
	cases      map[int]bool
	dir        string
	timeout    time.Duration
	serve      bool
}

func main() {
	// The bench runs itself as the launcher that measures each program
	// and as the raw client; those modes are not flags, so that -help
	// only shows what a person sets.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "internal-exec":
			os.Exit(launch(os.Args[2:]))
		case "internal-get":
			os.Exit(rawGet(os.Args[2:]))
		}
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.serve {
		err = serveOnly(ctx, cfg)
	} else {
		err = runBench(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := config{}
	fs.StringVar(&cfg.bin, "bin", "bin/modelfetch", "the modelfetch binary to measure")
	fs.IntVar(&cfg.runs, "runs", 3, "runs of each case; the table shows medians")
	size := fs.String("size", "2GiB", "file size of cases 1 (loopback), 3 (cut connections), 6 (503s) and 7 (no ranges)")
	capped := fs.String("capped-size", "1GiB", "file size of case 2 (capped connections)")
	rss := fs.String("rss-sizes", "1GiB,8GiB", "the two file sizes whose peak RSS case 4 compares")
	capRate := fs.String("cap", "20MB", "case 2: the server's limit per connection, per second")
	fs.IntVar(&cfg.idealConns, "ideal-conns", 16, "case 2: connections of the ideal rate")
	cut := fs.String("cut", "100MB", "case 3: the server drops a connection each time it has sent this much")
	cases := fs.String("cases", "1,2,3,4,5,6,7", "which cases to run")
	fs.StringVar(&cfg.dir, "dir", os.TempDir(), "where downloads are written (needs the largest size free)")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "the longest one run may take")
	fs.BoolVar(&cfg.serve, "serve", false, "only serve the files, print their URLs, log each response and wait for Ctrl-C: for profiling a client by hand")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.runs < 1 {
		return cfg, fmt.Errorf("-runs must be at least 1")
	}
	var err error
	parse := func(name, v string) int64 {
		n, perr := humanize.ParseBytes(v)
		if perr != nil || n == 0 {
			err = fmt.Errorf("-%s %q is not a size", name, v)
		}
		return int64(n)
	}
	cfg.size = parse("size", *size)
	cfg.cappedSize = parse("capped-size", *capped)
	for _, v := range strings.Split(*rss, ",") {
		cfg.rssSizes = append(cfg.rssSizes, parse("rss-sizes", strings.TrimSpace(v)))
	}
	cfg.capRate = float64(parse("cap", *capRate))
	cfg.cutEvery = parse("cut", *cut)
	if err != nil {
		return cfg, err
	}
	if len(cfg.rssSizes) != 2 {
		return cfg, fmt.Errorf("-rss-sizes needs two sizes, small then large")
	}
	cfg.cases = map[int]bool{}
	for _, v := range strings.Split(*cases, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 7 {
			return cfg, fmt.Errorf("-cases: %q is not a case from 1 to 7", v)
		}
		cfg.cases[n] = true
	}
	if cfg.cases[5] {
		cfg.cases[1] = true // case 5 reads case 1's runs
	}
	return cfg, nil
}

// bench is one invocation: the server, the programs found, and the rows
// measured so far.
type bench struct {
	cfg   config
	self  string
	p     *origintest.Pattern
	srv   *server
	sums  map[int64]string  // the served file's SHA-256 per size
	tools map[string]string // program name → path; absent when not installed
	notes []string
	rows  []*row
	seq   int // run folders made so far
}

func runBench(ctx context.Context, cfg config) error {
	b := &bench{cfg: cfg, tools: map[string]string{}}
	var err error
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if b.cfg.bin, err = filepath.Abs(cfg.bin); err != nil {
		return err
	}
	if _, err := os.Stat(b.cfg.bin); err != nil {
		return fmt.Errorf("no modelfetch to measure (build it with `make build`): %w", err)
	}
	b.findTools()
	if b.cfg.dir, err = os.MkdirTemp(cfg.dir, "modelfetch-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.cfg.dir)

	start := time.Now()
	load := loadAvg()
	b.p = origintest.NewPattern()
	sizes := cfg.sizes()
	progress("hashing the served file at each size")
	b.sums = b.p.Sums(sizes)
	b.srv = startServer(b.p, cfg.capRate, cfg.cutEvery, nil)
	defer b.srv.Close()

	if err := b.warm(slices.Max(sizes)); err != nil {
		return err
	}
	b.diskContext(ctx, min(cfg.size, 1<<30))
	for n, run := range []func(context.Context) error{b.case1, b.case2, b.case3, b.case4, b.case5, b.case6, b.case7} {
		if !cfg.cases[n+1] {
			continue
		}
		if err := run(ctx); err != nil {
			b.notes = append(b.notes, fmt.Sprintf("case %d: %v", n+1, err))
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
	b.print(start, load)
	return nil
}

// findTools looks up the programs the bench compares with.
func (b *bench) findTools() {
	for _, name := range []string{"curl", "aria2c", "sha256sum", "sync"} {
		if p, err := exec.LookPath(name); err == nil {
			b.tools[name] = p
		} else {
			b.notes = append(b.notes, name+" is not installed: its rows are skipped")
		}
	}
}

// sizes are the file sizes the chosen cases serve.
func (cfg config) sizes() []int64 {
	var sizes []int64
	if cfg.cases[1] || cfg.cases[3] || cfg.cases[6] || cfg.cases[7] {
		sizes = append(sizes, cfg.size)
	}
	if cfg.cases[2] {
		sizes = append(sizes, cfg.cappedSize)
	}
	if cfg.cases[4] {
		sizes = append(sizes, cfg.rssSizes...)
	}
	return sizes
}

// serveOnly serves the files of every case until ctx ends.
func serveOnly(ctx context.Context, cfg config) error {
	p := origintest.NewPattern()
	srv := startServer(p, cfg.capRate, cfg.cutEvery, os.Stdout)
	defer srv.Close()
	sizes := slices.Compact(slices.Sorted(slices.Values(append([]int64{cfg.size, cfg.cappedSize}, cfg.rssSizes...))))
	for _, mode := range []string{"plain", "capped", "cut", "flaky", "whole"} {
		for _, size := range sizes {
			fmt.Printf("%s\n", srv.url(mode, size))
		}
	}
	sums := p.Sums(sizes)
	for _, size := range sizes {
		fmt.Printf("SHA-256 of %d bytes: %s\n", size, sums[size])
	}
	<-ctx.Done()
	return nil
}

// runDir makes a fresh folder for one run, with the XDG folders that give
// ModelFetch an empty journal and cache.
func (b *bench) runDir() (string, error) {
	b.seq++
	dir := filepath.Join(b.cfg.dir, strconv.Itoa(b.seq))
	for _, sub := range []string{"out", "state", "cache", "config", "runtime"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// enoughSpace says whether the bench folder has room for a file of size
// bytes and some to spare.
func (b *bench) enoughSpace(size int64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.cfg.dir, &st); err != nil {
		return err
	}
	if free := int64(st.Bavail) * st.Bsize; free < size+1<<30 {
		return fmt.Errorf("%s has %s free, %s is needed; use -dir or smaller sizes",
			b.cfg.dir, humanize.IBytes(uint64(free)), humanize.IBytes(uint64(size+1<<30)))
	}
	return nil
}

// measure runs each variant cfg.runs times, taking turns so that noise
// from the rest of the machine falls on all of them alike, and checks the
// SHA-256 of every file downloaded. It returns one row per variant.
func (b *bench) measure(ctx context.Context, cas string, size int64, vs []variant) ([]*row, error) {
	if err := b.enoughSpace(size); err != nil {
		return nil, err
	}
	rows := make([]*row, len(vs))
	for i, v := range vs {
		rows[i] = &row{cas: cas, what: v.name, size: size}
		b.rows = append(b.rows, rows[i])
	}
	for n := range b.cfg.runs {
		for i, v := range vs {
			if ctx.Err() != nil {
				return rows, context.Cause(ctx)
			}
			s, err := b.once(ctx, v, size)
			r := rows[i]
			if err != nil {
				r.fails = append(r.fails, err.Error())
				progress("case %s run %d/%d: %s: FAILED: %v", cas, n+1, b.cfg.runs, v.name, err)
				continue
			}
			r.samples = append(r.samples, s)
			progress("case %s run %d/%d: %s: %.0f MB/s, %.2f CPU s, peak RSS %s", cas, n+1, b.cfg.runs, v.name,
				float64(size)/s.wall.Seconds()/1e6, s.cpu.Seconds(), humanize.IBytes(uint64(s.rss)))
		}
	}
	return rows, nil
}

// once is one run of v in a fresh folder, removed afterwards; dirty pages
// are written out before the next run, so that one run's writes do not
// slow the next.
func (b *bench) once(ctx context.Context, v variant, size int64) (sample, error) {
	dir, err := b.runDir()
	if err != nil {
		return sample{}, err
	}
	defer func() {
		os.RemoveAll(dir)
		syscall.Sync()
	}()
	ctx, cancel := context.WithTimeoutCause(ctx, b.cfg.timeout, fmt.Errorf("took longer than -timeout %v", b.cfg.timeout))
	defer cancel()
	b.srv.reset()
	before := readCPUStat()
	s, out, err := v.get(ctx, dir)
	s.busy, s.iowait = readCPUStat().since(before)
	s.requests, s.conns = b.srv.stats()
	if err == nil && out != "" {
		err = verify(out, size, b.sums[size])
	}
	return s, err
}

// loadAvg is the machine's one-minute load average, to show how busy the
// rest of the machine was.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// median is the middle of xs (the mean of the two middle ones for an
// even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Sorted(slices.Values(xs))
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}
