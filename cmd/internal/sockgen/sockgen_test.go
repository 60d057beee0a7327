package sockgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

func write(t *testing.T, month int, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, month, o); err != nil {
		t.Fatalf("Write(month %d, %+v): %v", month, o, err)
	}
	return buf.Bytes()
}

// parse reads a dump with encoding/csv, requiring the header's field count on
// every row, and checks each cell has the shape the socks job expects.
func parse(t *testing.T, data []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(Header())
	head, err := r.Read()
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	if !slices.Equal(head, Header()) {
		t.Fatalf("header = %q, want %q", head, Header())
	}
	var (
		sku   = regexp.MustCompile(`^SK-\d{5,}$`)
		price = regexp.MustCompile(`^\d+\.\d\d$`)
		date  = regexp.MustCompile(`^2026-(0[6-9]|10)-\d\d$`)
	)
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("row %d: %v", len(rows)+1, err)
		}
		if !sku.MatchString(rec[0]) || rec[1] == "" || !price.MatchString(rec[5]) || !date.MatchString(rec[9]) {
			t.Fatalf("row %d has a bad cell: %q", len(rows)+1, rec)
		}
		if _, err := strconv.Atoi(rec[7]); err != nil {
			t.Fatalf("row %d quantity: %v", len(rows)+1, err)
		}
		if n := len(rows); n > 0 && rows[n-1][0] >= rec[0] {
			t.Fatalf("row %d: SKU %s after %s, want SKU order", n+1, rec[0], rows[n-1][0])
		}
		rows = append(rows, rec)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		opts                 Options
		baseRows, nextRows   int
		wantChanged, wantNew int
	}{
		{"empty", Options{Rows: 0, Seed: 1, ChangePct: 10, NewPct: 5}, 0, 0, 0, 0},
		{"one row all change", Options{Rows: 1, Seed: 7, ChangePct: 100, NewPct: 100}, 1, 2, 1, 1},
		{"typical", Options{Rows: 1000, Seed: 1, ChangePct: 10, NewPct: 5}, 1000, 1050, 100, 50},
		{"rounding", Options{Rows: 997, Seed: 42, ChangePct: 33.3, NewPct: 12.5}, 997, 1122, 332, 125},
		{"no change", Options{Rows: 500, Seed: 3}, 500, 500, 0, 0},
		{"all change", Options{Rows: 500, Seed: 3, ChangePct: 100, NewPct: 1}, 500, 505, 500, 5},
		{"wide skus", Options{Rows: 99_990, Seed: 9, ChangePct: 1, NewPct: 0.1}, 99_990, 100_090, 1000, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, next := write(t, 0, tt.opts), write(t, 1, tt.opts)
			if got := sha256.Sum256(write(t, 0, tt.opts)); got != sha256.Sum256(base) {
				t.Errorf("month 0 is not deterministic")
			}
			if got := sha256.Sum256(write(t, 1, tt.opts)); got != sha256.Sum256(next) {
				t.Errorf("month 1 is not deterministic")
			}
			b, n := parse(t, base), parse(t, next)
			if len(b) != tt.baseRows || len(n) != tt.nextRows {
				t.Fatalf("rows = %d, %d; want %d, %d", len(b), len(n), tt.baseRows, tt.nextRows)
			}
			if got := tt.opts.RowsIn(0); got != tt.baseRows {
				t.Errorf("RowsIn(0) = %d, want %d", got, tt.baseRows)
			}
			if got := tt.opts.RowsIn(1); got != tt.nextRows {
				t.Errorf("RowsIn(1) = %d, want %d", got, tt.nextRows)
			}
			changed := 0
			for i, old := range b {
				cur := n[i]
				if slices.Equal(old, cur) {
					continue
				}
				changed++
				// Only price, in_stock, quantity and updated_on may move.
				for _, c := range []int{0, 1, 2, 3, 4, 8} {
					if old[c] != cur[c] {
						t.Fatalf("row %d column %s changed: %q -> %q", i+1, Header()[c], old[c], cur[c])
					}
				}
				if old[5] == cur[5] && old[7] == cur[7] {
					t.Fatalf("row %d changed without a new price or quantity: %q -> %q", i+1, old, cur)
				}
				if cur[9] != "2026-10-01" {
					t.Errorf("row %d changed but updated_on = %s", i+1, cur[9])
				}
			}
			if changed != tt.wantChanged || len(n)-len(b) != tt.wantNew {
				t.Errorf("changed %d, new %d; want %d, %d", changed, len(n)-len(b), tt.wantChanged, tt.wantNew)
			}
			if tt.baseRows > 0 {
				other := tt.opts
				other.Seed++
				if bytes.Equal(write(t, 0, other), base) {
					t.Errorf("seed %d and %d give the same dump", tt.opts.Seed, other.Seed)
				}
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		month int
		opts  Options
		want  string
	}{
		{"month", 2, Options{Rows: 1}, "month 2: want 0 (base) or 1 (next)"},
		{"negative rows", 0, Options{Rows: -1}, "sockgen options: rows -1: must not be negative"},
		{"change over 100", 1, Options{Rows: 1, ChangePct: 101}, "sockgen options: change 101%: must be between 0 and 100"},
		{"negative new", 1, Options{Rows: 1, NewPct: -5}, "sockgen options: new -5%: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Write(io.Discard, tt.month, tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestWriteStable pins the first rows of a small dump, so a change to the
// generator (which would silently change benchmark inputs) is a visible diff.
func TestWriteStable(t *testing.T) {
	t.Parallel()
	got := write(t, 1, Options{Rows: 3, Seed: 1, ChangePct: 34, NewPct: 34})
	want := `sku,name,Color,size,style,price,in_stock,quantity,Supplier,updated_on
SK-00001,Office Herringbone,Multicolour,M,crew,5.05,true,323,Fil d'Or SARL,2026-06-29
SK-00002,Cotton Houndstooth,Black,M,over-the-knee,6.25,true,275,Sockworks GmbH,2026-10-01
SK-00003,Hiker Stripe,Navy,L,ankle,4.60,1,45,"Pasaporte Textiles, S.A.",2026-06-01
SK-00004,Merino Argyle,,S,over-the-knee,23.05,true,246,"Pasaporte Textiles, S.A.",2026-09-11
`
	if string(got) != want {
		t.Errorf("dump changed:\n%s", got)
	}
}

// TestHeaderMatchesSampleData keeps generated dumps importable with the socks
// job of config.yaml, whose sample files define the header.
func TestHeaderMatchesSampleData(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../../sample-data/socks-*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample socks files: %v", err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		head, err := csv.NewReader(f).Read()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(head, Header()) {
			t.Errorf("%s header = %q, want %q", name, head, Header())
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	o := Options{Rows: 100_000, Seed: 1, ChangePct: 10, NewPct: 5}
	for b.Loop() {
		if err := Write(io.Discard, 1, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(o.RowsIn(1))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
