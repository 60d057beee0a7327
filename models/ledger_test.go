package models

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLedgerEnsure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTempDB(t)
	l := NewLedger(db)
	for i := range 2 { // the second call finds everything in place
		if err := l.Ensure(ctx); err != nil {
			t.Fatalf("Ensure #%d: %v", i+1, err)
		}
	}
	var cols []string
	if err := db.Bun.NewRaw("SELECT name FROM pragma_table_info('sluice_runs') ORDER BY cid").Scan(ctx, &cols); err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "job", "path", "size", "sha256", "started_at", "finished_at", "status", "forced",
		"rows", "inserted", "updated", "unchanged", "rejected", "reject_file", "error", "duplicates", "deleted", "source", "file_version"}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("sluice_runs columns:\n got %v\nwant %v", cols, want)
	}
	var idx []string
	if err := db.Bun.NewRaw("SELECT name FROM pragma_index_info('sluice_runs_job_sha256') ORDER BY seqno").Scan(ctx, &idx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"job", "sha256", "status"}; !reflect.DeepEqual(idx, want) {
		t.Errorf("sluice_runs_job_sha256 columns = %v, want %v", idx, want)
	}
}

// sha is a 64-digit checksum made of one repeated hex digit.
func ledgerSHA(digit string) string { return strings.Repeat(digit, 64) }

// testRuns are recorded in this order; IDs follow from 1.
func testRuns() []*Run {
	t0 := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	run := func(job, path, sum, status string, minute int) *Run {
		start := t0.Add(time.Duration(minute) * time.Minute)
		r := &Run{Job: job, Path: path, Size: 1000 + int64(minute), SHA256: sum,
			StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond), Status: status}
		switch status {
		case StatusOK:
			r.Rows, r.Inserted, r.Updated, r.Unchanged, r.Rejected = 320, 20, 35, 264, 1
			r.RejectFile = "/srv/rejects/" + job + ".csv"
		case StatusFailed:
			r.Rows, r.Rejected, r.Error = 10, 10, "too many rejects"
		}
		return r
	}
	return []*Run{
		run("socks", "/d/socks-09.csv", ledgerSHA("a"), StatusFailed, 0),  // 1
		run("socks", "/d/socks-09.csv", ledgerSHA("a"), StatusOK, 1),      // 2
		run("stock", "/d/stock-09.csv", ledgerSHA("b"), StatusOK, 2),      // 3
		run("socks", "/d/socks-09.csv", ledgerSHA("a"), StatusSkipped, 3), // 4
		run("socks", "/d/copy.csv", ledgerSHA("a"), StatusOK, 4),          // 5: forced re-import
		run("socks", "/d/socks-10.csv", ledgerSHA("c"), StatusFailed, 5),  // 6
		run("stock", "/d/stock-10.csv", ledgerSHA("a"), StatusOK, 6),      // 7: same bytes, other job
	}
}

func recordRuns(t *testing.T, l *Ledger, db *DB) []*Run {
	t.Helper()
	runs := testRuns()
	runs[4].Forced = true
	for i, r := range runs {
		if err := l.Record(context.Background(), db.Bun, r); err != nil {
			t.Fatal(err)
		}
		if r.ID != int64(i+1) {
			t.Fatalf("run %d got ID %d", i+1, r.ID)
		}
	}
	return runs
}

func TestLedgerImported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTempDB(t)
	l := NewLedger(db)
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := l.Imported(ctx, db.Bun, "socks", ledgerSHA("a")); err != nil || r != nil {
		t.Fatalf("Imported on an empty ledger = %+v, %v; want nil, nil", r, err)
	}
	runs := recordRuns(t, l, db)
	tests := []struct {
		job, sum string
		want     int64 // run ID, 0 for none
	}{
		{"socks", ledgerSHA("a"), 5}, // newest ok run wins over run 2; failed and skipped ones never count
		{"stock", ledgerSHA("a"), 7},
		{"stock", ledgerSHA("b"), 3},
		{"socks", ledgerSHA("b"), 0}, // that file went to another job
		{"socks", ledgerSHA("c"), 0}, // only failed
		{"socks", ledgerSHA("d"), 0},
		{"hats", ledgerSHA("a"), 0},
	}
	for _, tt := range tests {
		r, err := l.Imported(ctx, db.Bun, tt.job, tt.sum)
		if err != nil {
			t.Fatalf("Imported(%s, %.4s…): %v", tt.job, tt.sum, err)
		}
		if tt.want == 0 {
			if r != nil {
				t.Errorf("Imported(%s, %.4s…) = run %d, want none", tt.job, tt.sum, r.ID)
			}
			continue
		}
		if r == nil {
			t.Errorf("Imported(%s, %.4s…) = none, want run %d", tt.job, tt.sum, tt.want)
			continue
		}
		if want := runs[tt.want-1]; !sameRun(*r, *want) {
			t.Errorf("Imported(%s, %.4s…):\n got %+v\nwant %+v", tt.job, tt.sum, *r, *want)
		}
	}
	// Inside a transaction, as the importer asks.
	tx, err := db.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if r, err := l.Imported(ctx, tx, "stock", ledgerSHA("b")); err != nil || r == nil || r.ID != 3 {
		t.Errorf("Imported in tx = %+v, %v; want run 3", r, err)
	}
}

func TestLedgerRecent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTempDB(t)
	l := NewLedger(db)
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if runs, err := l.Recent(ctx, "", 20); err != nil || len(runs) != 0 {
		t.Fatalf("Recent on an empty ledger = %v, %v; want none", runs, err)
	}
	recorded := recordRuns(t, l, db)
	tests := []struct {
		job   string
		limit int
		want  []int64
	}{
		{"", 20, []int64{7, 6, 5, 4, 3, 2, 1}},
		{"", 7, []int64{7, 6, 5, 4, 3, 2, 1}},
		{"", 3, []int64{7, 6, 5}},
		{"", 1, []int64{7}},
		{"socks", 20, []int64{6, 5, 4, 2, 1}},
		{"socks", 2, []int64{6, 5}},
		{"stock", 20, []int64{7, 3}},
		{"hats", 20, nil},
	}
	for _, tt := range tests {
		runs, err := l.Recent(ctx, tt.job, tt.limit)
		if err != nil {
			t.Fatalf("Recent(%q, %d): %v", tt.job, tt.limit, err)
		}
		var ids []int64
		for _, r := range runs {
			ids = append(ids, r.ID)
			if !sameRun(r, *recorded[r.ID-1]) {
				t.Errorf("Recent(%q, %d) run %d:\n got %+v\nwant %+v", tt.job, tt.limit, r.ID, r, *recorded[r.ID-1])
			}
		}
		if !reflect.DeepEqual(ids, tt.want) {
			t.Errorf("Recent(%q, %d) = runs %v, want %v", tt.job, tt.limit, ids, tt.want)
		}
	}
}

// sameRun compares runs field by field, times by instant (a round trip
// through the database may change their location).
func sameRun(a, b Run) bool {
	if !a.StartedAt.Equal(b.StartedAt) || !a.FinishedAt.Equal(b.FinishedAt) {
		return false
	}
	a.StartedAt, a.FinishedAt = b.StartedAt, b.FinishedAt
	return reflect.DeepEqual(a, b)
}
