// Package sockgen writes large, deterministic sock-market dumps in the same
// shape as sample-data/socks-*.csv, for benchmarks and load tests.
//
// Every row is derived from the seed and its own index alone, so a dump of any
// size streams in constant memory, and the next month can change an exact,
// deterministic subset of the base rows without remembering them.
package sockgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Options for a generated socks dump.
type Options struct {
	Rows      int     // rows in the base month
	Seed      uint64  // same seed, same bytes
	ChangePct float64 // next month: percentage of existing rows whose price/quantity change (e.g. 10)
	NewPct    float64 // next month: new rows added, as a percentage of Rows (e.g. 5)
}

// Changed is the exact number of base rows whose values differ in month 1:
// ChangePct percent of Rows, rounded to the nearest row.
func (o Options) Changed() int { return pctOf(o.Rows, o.ChangePct) }

// Added is the exact number of rows month 1 has beyond the base rows:
// NewPct percent of Rows, rounded to the nearest row.
func (o Options) Added() int { return pctOf(o.Rows, o.NewPct) }

// RowsIn is the number of data rows (without the header) that Write
// writes for month.
func (o Options) RowsIn(month int) int {
	if month == 1 {
		return o.Rows + o.Added()
	}
	return o.Rows
}

func pctOf(n int, pct float64) int { return int(math.Round(float64(n) * pct / 100)) }

func (o Options) validate() error {
	switch {
	case o.Rows < 0:
		return fmt.Errorf("rows %d: must not be negative", o.Rows)
	case math.IsNaN(o.ChangePct) || o.ChangePct < 0 || o.ChangePct > 100:
		return fmt.Errorf("change %v%%: must be between 0 and 100", o.ChangePct)
	case math.IsNaN(o.NewPct) || math.IsInf(o.NewPct, 0) || o.NewPct < 0:
		return fmt.Errorf("new %v%%: must not be negative", o.NewPct)
	case float64(o.Rows)*(1+o.NewPct/100) > 1e15:
		return errors.New("too many rows")
	}
	return nil
}

// Header returns the CSV header of every generated dump. It is the header of
// sample-data/socks-*.csv: the column order differs from config.yaml, the
// colour column is called Color and Supplier is not in the config at all.
func Header() []string {
	return []string{"sku", "name", "Color", "size", "style", "price", "in_stock", "quantity", "Supplier", "updated_on"}
}

const header = "sku,name,Color,size,style,price,in_stock,quantity,Supplier,updated_on\n"

// Write writes the base month (month 0) or the next month (month 1) to w,
// deterministic for the same Options. Month 1 holds every base row in the
// same place, Changed() of them with a new price and/or quantity (and so
// in_stock and updated_on), followed by Added() new rows; rows are in SKU
// order in both months.
func Write(w io.Writer, month int, o Options) error {
	if month != 0 && month != 1 {
		return fmt.Errorf("month %d: want 0 (base) or 1 (next)", month)
	}
	if err := o.validate(); err != nil {
		return fmt.Errorf("sockgen options: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(header); err != nil {
		return err
	}
	g := newRowGen(o)
	// Selection sampling (Knuth's algorithm S) picks exactly Changed() of
	// the base rows, uniformly, in one pass with no memory.
	pick := rand.New(rand.NewPCG(o.Seed, 0x6368616e6765)) // "change"
	need := o.Changed()
	for i := range o.RowsIn(month) {
		change := false
		if month == 1 && i < o.Rows && need > 0 {
			if pick.Uint64N(uint64(o.Rows-i)) < uint64(need) {
				change = true
				need--
			}
		}
		b := g.appendRow(bw.AvailableBuffer(), i, month, change)
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// skuWidth is the number of digits in SKUs, wide enough for month 1 so
// both months sort the same way.
func skuWidth(o Options) int {
	return max(5, len(strconv.Itoa(o.RowsIn(1))))
}
