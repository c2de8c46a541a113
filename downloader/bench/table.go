//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
)

// row is one line of the table: a program's runs in one case, or a
// figure computed from others.
type row struct {
	cas, what string
	size      int64
	samples   []sample
	fails     []string
	fixedRate float64 // bytes per second of a computed row, such as the ideal
	cpuOnly   bool    // a row about CPU: no rate of its own
	noCPU     bool    // a row measured in this process: no CPU or RSS of its own
	ratio     string
	goal      string
	check     string
}

// rate is the median rate in bytes per second; 0 with no successful run.
func (r *row) rate() float64 {
	if r.fixedRate > 0 {
		return r.fixedRate
	}
	return r.median(func(s sample) float64 { return float64(r.size) / s.wall.Seconds() })
}

// cpuPerGB is the median CPU seconds the program spent per 10^9 bytes.
func (r *row) cpuPerGB() float64 {
	return r.median(func(s sample) float64 { return s.cpu.Seconds() / (float64(r.size) / 1e9) })
}

// cores is the median number of cores the program and the server kept
// busy together.
func (r *row) cores() float64 {
	return r.median(func(s sample) float64 { return (s.cpu + s.server).Seconds() / s.wall.Seconds() })
}

func (r *row) connsMedian() int64 {
	return int64(r.median(func(s sample) float64 { return float64(s.conns) }))
}

func (r *row) rssMedian() int64 {
	return int64(r.median(func(s sample) float64 { return float64(s.rss) }))
}

func (r *row) median(f func(sample) float64) float64 {
	xs := make([]float64, len(r.samples))
	for i, s := range r.samples {
		xs[i] = f(s)
	}
	return median(xs)
}

// ratio is a's rate over b's; 0 when either is unknown.
func ratio(a, b *row) float64 {
	if a == nil || b == nil || a.rate() == 0 || b.rate() == 0 {
		return 0
	}
	return a.rate() / b.rate()
}

// against adds r's rate relative to base's to the ratio column.
func (r *row) against(base *row, name string) {
	if r == nil {
		return
	}
	q := ratio(r, base)
	if q == 0 {
		return
	}
	if r.ratio != "" {
		r.ratio += ", "
	}
	r.ratio += fmt.Sprintf("%.2f× %s", q, name)
}

func goal(met bool, text string) string {
	if met {
		return text + ": yes"
	}
	return text + ": NO"
}

// print writes the table and the notes that say how to read it.
func (b *bench) print(start time.Time, load string) {
	fmt.Printf("ModelFetch bench, %s, %d CPUs, %s; load average %s at the start, %s at the end; medians of %d runs.\n",
		start.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), load, loadAvg(), b.cfg.runs)
	fmt.Printf("Command: %s\n\n", strings.Join(append([]string{"bench"}, os.Args[1:]...), " "))
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "case\twhat\tsize\tMB/s\tratio\tgoal\tCPU s/GB\tpeak RSS\tconns\treqs\tcores\tmachine busy\tiowait\tcheck")
	for _, r := range b.rows {
		var rate, cpu, rss, conns, reqs, cores, busy, iowait string
		if !r.cpuOnly && r.rate() > 0 {
			rate = fmt.Sprintf("%.0f", r.rate()/1e6)
		}
		if len(r.samples) > 0 && !r.noCPU {
			cpu = fmt.Sprintf("%.3f", r.cpuPerGB())
		}
		if len(r.samples) > 0 && !r.noCPU && !r.cpuOnly {
			rss = humanize.IBytes(uint64(r.rssMedian()))
			conns = fmt.Sprint(r.connsMedian())
			reqs = fmt.Sprintf("%.0f", r.median(func(s sample) float64 { return float64(s.requests) }))
			cores = fmt.Sprintf("%.2f", r.cores())
			busy = fmt.Sprintf("%.0f%%", 100*r.median(func(s sample) float64 { return s.busy }))
			iowait = fmt.Sprintf("%.0f%%", 100*r.median(func(s sample) float64 { return s.iowait }))
		}
		check := r.check
		switch {
		case len(r.fails) > 0:
			check = fmt.Sprintf("FAILED %d/%d: %s", len(r.fails), len(r.fails)+len(r.samples), r.fails[0])
		case check == "" && len(r.samples) > 0:
			check = "ok"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.cas, r.what, humanize.IBytes(uint64(r.size)),
			rate, r.ratio, r.goal, cpu, rss, conns, reqs, cores, busy, iowait, check)
	}
	w.Flush()
	fmt.Println()
	for _, n := range []string{
		"MB = 10^6 bytes. A rate is the file's size over the program's wall time, from its start to its exit.",
		"CPU s/GB is the program's user + system time per 10^9 bytes. Peak RSS is its own maximum resident set (rusage), measured through a small launcher.",
		"conns is the most response bodies the server sent at once (one a client has just dropped may count a moment longer), reqs its GET requests.",
		"cores is the program's and the server's CPU time over the wall time.",
		"machine busy and iowait are shares of all CPUs' time during the run (/proc/stat), whoever used them: near 100% busy, the CPUs were the limit.",
		"check: every file written was compared with the served file's SHA-256.",
		"aria2c runs with --file-allocation=falloc, as ModelFetch preallocates; its default writes the file twice.",
		"\", then sync\" is the program followed by `sync FILE` (an fsync of that file), as `curl -o f URL && sync f`: the durable baseline, since ModelFetch makes each file durable before it calls it done. Its time and CPU are both programs'.",
	} {
		fmt.Println(n)
	}
	for _, n := range b.notes {
		fmt.Println("Note: " + n)
	}
	fmt.Printf("The bench took %s.\n", time.Since(start).Round(time.Second))
}
