package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/sluice-dev/sluice/importer/sockgen"
)

// env describes the machine and tools, so a pasted table says what it
// measured.
type env struct {
	goVersion, platform, cpu, sqlite, sluiceBuild, schema string
}

func environment(ctx context.Context, cfg config) env {
	e := env{
		goVersion: runtime.Version(),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		cpu:       fmt.Sprintf("%d CPUs", runtime.NumCPU()),
		sqlite:    "unknown",
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
		e.sluiceBuild = "prebuilt " + cfg.sluice + " (tags unknown)"
	case cfg.tags != "":
		e.sluiceBuild = "go build -tags " + cfg.tags
	default:
		e.sluiceBuild = "go build (no tags)"
	}
	return e
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

// printReport writes the markdown that goes into BENCHMARKS.md.
func printReport(w io.Writer, e env, o sockgen.Options, steps []*step, schema string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### sluice-bench: %s rows, %g%% changed, %g%% new (seed %d)\n\n", group(int64(o.Rows)), o.ChangePct, o.NewPct, o.Seed)
	fmt.Fprintf(bw, "- go: %s, %s, %s\n", e.goVersion, e.platform, e.cpu)
	fmt.Fprintf(bw, "- sqlite3: %s\n", e.sqlite)
	fmt.Fprintf(bw, "- sluice: %s\n", e.sluiceBuild)
	fmt.Fprintf(bw, "- reference schema: %s\n\n", schema)
	fmt.Fprintln(bw, "| step | rows | seconds | rows/s | peak RSS MiB | vs reference |")
	fmt.Fprintln(bw, "| --- | ---: | ---: | ---: | ---: | --- |")
	for _, s := range steps {
		if s.err != nil {
			fmt.Fprintf(bw, "| %s | %s | — | — | — | failed |\n", s.name, group(int64(s.rows)))
			continue
		}
		secs := s.elapsed.Seconds()
		rate := "—"
		if secs > 0 {
			rate = group(int64(float64(s.rows) / secs))
		}
		fmt.Fprintf(bw, "| %s | %s | %.2f | %s | %.1f | %s |\n",
			s.name, group(int64(s.rows)), secs, rate, float64(s.rssKiB)/1024, comparison(s))
	}
	fmt.Fprintln(bw, "\nvs reference = seconds of the sqlite3 reference for the same file / sluice seconds: above 1 means sluice is faster.")
	var failed []*step
	for _, s := range steps {
		if s.err != nil {
			failed = append(failed, s)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(bw, "\nFailed steps:")
		for _, s := range failed {
			fmt.Fprintf(bw, "- %s: %v\n", s.name, s.err)
		}
	}
	return bw.Flush()
}

func comparison(s *step) string {
	switch {
	case s.ref == nil:
		return s.note
	case s.ref.err != nil || s.elapsed <= 0:
		return "—"
	}
	return fmt.Sprintf("%.2f×", s.ref.elapsed.Seconds()/s.elapsed.Seconds())
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
