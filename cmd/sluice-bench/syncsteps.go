package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// With -sync P, each run also times a full-dump sync: gone.csv is
// next.csv without P % of its rows, spread evenly, imported after the
// next month first by the upsert job and then by a job in mode: sync,
// which deletes the rows gone. The upsert leaves the table as it was
// (every row of gone.csv is in it, unchanged), so both start from the
// same table, and the sync's ratio is upsert seconds / sync seconds.

const (
	goneCSV = "gone.csv"
	syncJob = "socks-sync"
)

// writeGone writes gone.csv from next.csv, leaving out pct % of its data
// rows, and returns the rows written.
func writeGone(dir string, pct float64) (int, error) {
	in, err := os.Open(filepath.Join(dir, nextCSV))
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp := filepath.Join(dir, goneCSV+".tmp")
	out, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	r, w := bufio.NewReaderSize(in, 1<<20), bufio.NewWriterSize(out, 1<<20)
	kept, i := 0, -1 // -1: the header
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		// sockgen writes one record a line. Row i is dropped where the
		// running share of dropped rows passes pct.
		drop := i >= 0 && int(float64(i+1)*pct/100) > int(float64(i)*pct/100)
		if !drop {
			if _, err := w.WriteString(line); err != nil {
				return 0, err
			}
			if i >= 0 {
				kept++
			}
		}
		i++
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return kept, os.Rename(tmp, filepath.Join(dir, goneCSV))
}

// syncJobYAML is the sync job of bench.yaml: the socks job in mode: sync,
// reading gone.csv into the same table.
func syncJobYAML(dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `  - name: %s
    source:
      path: %s
    table: socks
    key: [%s]
    mode: sync
    sync: {missing: delete, max_missing: "10%%"}
    columns:
`, syncJob, strconv.Quote(filepath.Join(dir, goneCSV)), socksKey)
	for _, c := range socksColumns {
		fmt.Fprintf(&b, "      - %s\n", c.yaml())
	}
	fmt.Fprintf(&b, "    rejects: {max: \"1%%\", dir: %s}\n", strconv.Quote(filepath.Join(dir, rejectsDir)))
	return b.String()
}

// syncStepsOfRun makes the run's two sync steps, when -sync is set.
func (b *bench) syncStepsOfRun() {
	b.upsertGone, b.syncGone = nil, nil
	if b.cfg.syncPct <= 0 {
		return
	}
	b.upsertGone = &step{name: "sluice import gone.csv, mode: upsert", rows: b.goneRows, note: "reference for sync"}
	b.syncGone = &step{name: fmt.Sprintf("sluice import gone.csv, mode: sync (%g %% deleted)", b.cfg.syncPct), rows: b.goneRows, ref: b.upsertGone}
	b.steps = append(b.steps, b.upsertGone, b.syncGone)
}

// sluiceSyncSteps imports gone.csv with the upsert job, then with the
// sync job, after the next month; check checks the table's row count.
func (b *bench) sluiceSyncSteps(ctx context.Context, env []string, check func(want int) error) {
	if b.syncGone == nil {
		return
	}
	if b.sluiceNext.err != nil {
		b.upsertGone.err = errors.New("skipped: next import failed")
		b.syncGone.err = b.upsertGone.err
		return
	}
	want := []int{b.sluiceNext.rows, b.goneRows}
	for i, s := range []struct {
		step *step
		job  string
	}{{b.upsertGone, "socks"}, {b.syncGone, syncJob}} {
		b.timeStep(ctx, s.step, "sluice-gone-"+s.job, nil, env,
			b.bin, "import", "--config", b.path(benchConfig), "--job", s.job, b.path(goneCSV))
		if s.step.err == nil {
			s.step.err = check(want[i])
		}
		if s.step.err != nil {
			if s.step == b.upsertGone {
				b.syncGone.err = errors.New("skipped: upsert of gone.csv failed")
			}
			return
		}
	}
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
