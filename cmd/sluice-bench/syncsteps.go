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

// syncSteps are one binary's upsert and sync of gone.csv.
type syncSteps struct{ upsert, sync *step }

// syncStepsOfRun makes the run's sync steps, when -sync is set: the
// binary's, and with -alt the alt's, each the ratio of its own upsert.
func (b *bench) syncStepsOfRun() {
	b.gone, b.altGone = syncSteps{}, syncSteps{}
	b.refUpsertGone, b.refSyncGone = nil, nil
	if b.cfg.syncPct <= 0 {
		return
	}
	b.gone = b.newSyncSteps("sluice")
	if b.cfg.alt != "" {
		b.altGone = b.newSyncSteps("sluice (" + b.cfg.altName + ")")
	}
	b.refUpsertGone = &step{name: b.names.staging + " upsert gone.csv, changed rows only (reference)", rows: b.goneRows, note: "reference"}
	b.refSyncGone = &step{name: fmt.Sprintf("%s sync gone.csv (%g %% deleted, reference)", b.names.staging, b.cfg.syncPct), rows: b.goneRows, ref: b.refUpsertGone}
	b.steps = append(b.steps, b.refUpsertGone, b.refSyncGone)
}

func (b *bench) newSyncSteps(who string) syncSteps {
	up := &step{name: who + " import gone.csv, mode: upsert", rows: b.goneRows, note: "reference for sync"}
	s := syncSteps{up, &step{name: fmt.Sprintf("%s import gone.csv, mode: sync (%g %% deleted)", who, b.cfg.syncPct), rows: b.goneRows, ref: up}}
	b.steps = append(b.steps, s.upsert, s.sync)
	return s
}

// sluiceSyncSteps imports gone.csv with bin, by the upsert job and then
// by the sync job, after bin's next month (next); check checks the
// table's row count.
func (b *bench) sluiceSyncSteps(ctx context.Context, bin, log string, next *step, s syncSteps, env []string, check func(want int) error) {
	if s.sync == nil {
		return
	}
	if next.err != nil {
		s.upsert.err = errors.New("skipped: next import failed")
		s.sync.err = s.upsert.err
		return
	}
	want := []int{next.rows, b.goneRows}
	for i, st := range []struct {
		step *step
		job  string
	}{{s.upsert, "socks"}, {s.sync, syncJob}} {
		b.timeStep(ctx, st.step, log+"gone-"+st.job, nil, env,
			bin, "import", "--config", b.path(benchConfig), "--job", st.job, b.path(goneCSV))
		if st.step.err == nil {
			st.step.err = check(want[i])
		}
		if st.step.err != nil {
			if st.step == s.upsert {
				s.sync.err = errors.New("skipped: upsert of gone.csv failed")
			}
			return
		}
	}
}

// referenceGoneSteps times the reference on gone.csv after its next
// month, with -sync: the upsert of changed rows only (script(header,
// false)), then the same with the DELETE of the rows the file lacks
// (script(header, true)). run times one script on the reference's table
// and checks that it holds rows rows.
func (b *bench) referenceGoneSteps(script func(header []string, sync bool) (string, error), run func(s *step, log, script string, rows int)) {
	if b.refSyncGone == nil {
		return
	}
	if b.refNext.err != nil {
		b.refUpsertGone.err = errors.New("skipped: reference next import failed")
		b.refSyncGone.err = b.refUpsertGone.err
		return
	}
	header, err := readHeader(b.path(goneCSV))
	for _, st := range []struct {
		step *step
		log  string
		sync bool
		rows int
	}{{b.refUpsertGone, "ref-gone-upsert", false, b.refNext.rows}, {b.refSyncGone, "ref-gone-sync", true, b.goneRows}} {
		var text string
		if err == nil {
			text, err = script(header, st.sync)
		}
		if err != nil {
			st.step.err = err
		} else {
			run(st.step, st.log, text, st.rows)
		}
		if st.step.err != nil {
			if !st.sync {
				b.refSyncGone.err = errors.New("skipped: reference upsert of gone.csv failed")
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
