package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
)

// env describes the machine and tools, so a pasted table says what it
// measured.
type env struct {
	goVersion, platform, cpu, sqlite, sluiceBuild string
	// On a server target, which server, where, its client and the
	// reference's method; all empty on SQLite.
	product, database, client, reference string
	tool                                 string // the reference's program; "" is sqlite3
}

func environment(ctx context.Context, cfg config, srv server, info serverInfo) env {
	e := env{
		goVersion: runtime.Version(),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		cpu:       fmt.Sprintf("%d CPUs", runtime.NumCPU()),
		sqlite:    "unknown",
	}
	if srv != nil {
		e.product = srv.product()
		e.database = fmt.Sprintf("%s %s at %s, a fresh database for each side of each run", srv.product(), info.version, srv.admin().Host)
		e.client, e.reference, e.tool = info.client, srv.reference(), srv.names().tool
	}
	if m := cpuModel(); m != "" {
		e.cpu += ", " + m
	}
	if out, err := exec.CommandContext(ctx, cfg.sqlite3, "--version").Output(); err == nil {
		// "3.40.1 2022-12-28 14:03:47 <hash>": the hash adds nothing.
		f := strings.Fields(string(out))
		e.sqlite = strings.Join(f[:min(len(f), 2)], " ")
	}
	switch {
	case cfg.sluice != "":
		e.sluiceBuild = "prebuilt " + cfg.sluice + sqliteDriverOf(ctx, cfg.sluice)
	case cfg.tags != "":
		e.sluiceBuild = "go build -tags " + cfg.tags
	default:
		e.sluiceBuild = "go build (no tags)"
	}
	if cfg.alt != "" {
		e.sluiceBuild += "; " + cfg.altName + ": prebuilt " + cfg.alt + sqliteDriverOf(ctx, cfg.alt)
	}
	return e
}

// sqliteDriverOf is " (SQLite driver X)" as bin's `sluice version` names
// it, or "" if it does not say.
func sqliteDriverOf(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return ""
	}
	_, driver, ok := strings.Cut(string(out), "SQLite driver ")
	if !ok {
		return ""
	}
	driver, _, _ = strings.Cut(driver, "\n")
	return " (SQLite driver " + strings.TrimSpace(driver) + ")"
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "" off Linux.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// result is one row of the report: a step over all runs.
type result struct {
	name   string
	rows   int
	secs   []float64 // wall seconds of each successful run
	rssKiB int64     // the highest peak RSS of the successful runs
	fails  []failure // a step that failed in any run is reported failed
	ref    *result   // the reference this step is compared with, if any
	note   string    // shown instead of a ratio when ref is nil
}

// failure is a step's error in one run.
type failure struct {
	run int
	err error
}

func (r *result) failed() bool { return len(r.fails) > 0 }

// median is the median of the successful runs' seconds: the middle one, or
// the mean of the two middle ones.
func (r *result) median() float64 {
	s := slices.Sorted(slices.Values(r.secs))
	if len(s) == 0 {
		return 0
	}
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

// summarize turns the steps of each run (the same steps in the same order
// every run) into one result per step.
func summarize(runs [][]*step) []*result {
	if len(runs) == 0 {
		return nil
	}
	results := make([]*result, len(runs[0]))
	index := make(map[*step]int, len(runs[0]))
	for i, s := range runs[0] {
		results[i] = &result{name: s.name, rows: s.rows, note: s.note}
		index[s] = i
	}
	for i, s := range runs[0] {
		if s.ref != nil {
			results[i].ref = results[index[s.ref]]
		}
	}
	for n, steps := range runs {
		for i, s := range steps {
			r := results[i]
			if s.err != nil {
				r.fails = append(r.fails, failure{n + 1, s.err})
				continue
			}
			r.secs = append(r.secs, s.elapsed.Seconds())
			r.rssKiB = max(r.rssKiB, s.rssKiB)
		}
	}
	return results
}

func countFailed(results []*result) int {
	n := 0
	for _, r := range results {
		if r.failed() {
			n++
		}
	}
	return n
}

// printReport writes the markdown that goes into BENCHMARKS.md. runs is how
// many times every step ran.
func printReport(w io.Writer, e env, o sockgen.Options, runs int, results []*result, schema string) error {
	bw := bufio.NewWriter(w)
	on := ""
	if e.product != "" {
		on = " on " + e.product
	}
	fmt.Fprintf(bw, "### sluice-bench%s: %s rows, %g%% changed, %g%% new (seed %d), %s\n\n",
		on, group(int64(o.Rows)), o.ChangePct, o.NewPct, o.Seed, plural(runs, "run"))
	fmt.Fprintf(bw, "- go: %s, %s, %s\n", e.goVersion, e.platform, e.cpu)
	if e.database != "" {
		fmt.Fprintf(bw, "- database: %s\n", e.database)
		fmt.Fprintf(bw, "- client: %s\n", e.client)
		fmt.Fprintf(bw, "- reference: %s\n", e.reference)
	} else {
		fmt.Fprintf(bw, "- sqlite3: %s\n", e.sqlite)
	}
	fmt.Fprintf(bw, "- sluice: %s\n", e.sluiceBuild)
	fmt.Fprintf(bw, "- reference schema: %s\n\n", schema)
	fmt.Fprintln(bw, "| step | rows | seconds | range s | rows/s | peak RSS MiB | vs reference |")
	fmt.Fprintln(bw, "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range results {
		if r.failed() {
			fmt.Fprintf(bw, "| %s | %s | — | — | — | — | failed |\n", r.name, group(int64(r.rows)))
			continue
		}
		secs := r.median()
		rate := "—"
		if secs > 0 {
			rate = group(int64(float64(r.rows) / secs))
		}
		fmt.Fprintf(bw, "| %s | %s | %.2f | %.2f–%.2f | %s | %.1f | %s |\n",
			r.name, group(int64(r.rows)), secs, slices.Min(r.secs), slices.Max(r.secs), rate, float64(r.rssKiB)/1024, comparison(r))
	}
	fmt.Fprintf(bw, "\nseconds = median of the %s, run interleaved, each on fresh databases; range s = fastest–slowest run; peak RSS = the highest of the runs.\n", plural(runs, "run"))
	tool := e.tool
	if tool == "" {
		tool = sqliteNames.tool
	}
	fmt.Fprintf(bw, "vs reference = median seconds of the %s reference for the same file / median sluice seconds: above 1 means sluice is faster.\n", tool)
	if e.database != "" {
		fmt.Fprintf(bw, "Peak RSS of a %s step is the client's; the server's memory is not measured.\n", tool)
	}
	var failed []*result
	for _, r := range results {
		if r.failed() {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(bw, "\nFailed steps:")
		for _, r := range failed {
			for _, f := range groupFailures(r.fails) {
				if runs == 1 {
					fmt.Fprintf(bw, "- %s: %s\n", r.name, f.msg)
				} else {
					fmt.Fprintf(bw, "- %s (%s of %d): %s\n", r.name, f.runs, runs, f.msg)
				}
			}
		}
	}
	return bw.Flush()
}

// groupFailures merges the runs that failed with the same message, in the
// order of their first run: "run 2", "runs 1, 3".
func groupFailures(fails []failure) []struct{ runs, msg string } {
	var msgs []string
	byMsg := map[string][]string{}
	for _, f := range fails {
		msg := f.err.Error()
		if _, ok := byMsg[msg]; !ok {
			msgs = append(msgs, msg)
		}
		byMsg[msg] = append(byMsg[msg], strconv.Itoa(f.run))
	}
	out := make([]struct{ runs, msg string }, len(msgs))
	for i, msg := range msgs {
		runs := byMsg[msg]
		label := "run "
		if len(runs) > 1 {
			label = "runs "
		}
		out[i].runs, out[i].msg = label+strings.Join(runs, ", "), msg
	}
	return out
}

func comparison(r *result) string {
	switch {
	case r.ref == nil:
		return r.note
	case r.ref.failed() || r.median() <= 0:
		return "—"
	}
	return fmt.Sprintf("%.2f×", r.ref.median()/r.median())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// group formats n with thousands separators: 1,050,000.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
