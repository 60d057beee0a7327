package importer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// keyFilter finds the keys that may occur more than once in a file, in
// bounded memory: a Bloom filter remembers every key seen, and a key the
// filter has (maybe) seen before goes into a small exact set. False
// positives only send a few more rows through the staging table; a file
// with more suspects than the limit is staged whole.
//
// Knowing the suspects up front lets every other row be upserted straight
// into the table, which halves the work of a typical monthly dump; see
// BENCHMARKS.md.
type keyFilter struct {
	bits     []uint64
	free     func() // releases bits
	seed     maphash.Seed
	suspects map[string]struct{}
	// overflow is set once suspects passed max: stage every row.
	overflow bool
	max      int
}

const (
	// keyFilterBitsPerKey keeps false positives near 0.2% at the file's
	// estimated row count; they only cost staging a few rows.
	keyFilterBitsPerKey = 16
	keyFilterMinBytes   = 1 << 20
	keyFilterMaxBytes   = 16 << 20
	keyFilterHashes     = 4
	// estimatedRowBytes is deliberately small so the estimate errs
	// towards more rows, a bigger filter, fewer false positives.
	estimatedRowBytes  = 40
	defaultMaxSuspects = 250_000
)

// newKeyFilter sizes the filter for a file of fileBytes.
func newKeyFilter(fileBytes int64, maxSuspects int) *keyFilter {
	n := fileBytes / estimatedRowBytes * keyFilterBitsPerKey / 8
	n = min(max(n, keyFilterMinBytes), keyFilterMaxBytes)
	bits, free := newBitset(int(n / 8))
	return &keyFilter{
		bits:     bits,
		free:     free,
		seed:     maphash.MakeSeed(),
		suspects: map[string]struct{}{},
		max:      maxSuspects,
		overflow: maxSuspects <= 0,
	}
}

// stageAll is a filter that holds every key suspect.
func stageAll() *keyFilter { return &keyFilter{overflow: true} }

// blockWords is the size of a filter block: 4 words, 256 bits, within
// one cache line. All of a key's bits fall in one block, so an add costs
// one cache miss rather than one per hash (it was a third of the key
// scan's time); false positives rise only a little, from about 0.24 % to
// 0.35 % at 16 bits a key.
const blockWords = 4

// add records key; suspects grows when key may have been added before.
func (f *keyFilter) add(key []byte) {
	h := maphash.Bytes(f.seed, key)
	// The high 32 bits pick the block (multiply-shift rather than a
	// division); each hash takes 8 of the low 32 bits for a bit in it.
	blocks := uint64(len(f.bits) / blockWords)
	first := ((h >> 32) * blocks >> 32) * blockWords
	block := f.bits[first : first+blockWords]
	seen := true
	for i := range keyFilterHashes {
		bit := (h >> (8 * i)) & (blockWords*64 - 1)
		w, m := bit/64, uint64(1)<<(bit%64)
		if block[w]&m == 0 {
			seen = false
			block[w] |= m
		}
	}
	if seen && !f.overflow {
		f.suspects[string(key)] = struct{}{}
		if len(f.suspects) > f.max {
			f.overflow, f.suspects = true, nil
		}
	}
}

// suspect reports whether rows with this key must be staged.
func (f *keyFilter) suspect(key []byte) bool {
	if f.overflow {
		return true
	}
	_, ok := f.suspects[string(key)]
	return ok
}

// appendKey appends the bytes of a row's encoded key values. Equal keys
// give equal bytes because Dialect.Encode already makes values the
// database holds equal encode equal (on SQLite, decimal 1.50 and 1.5 both
// become the float 1.5), and Load.KeyFold makes text the table's
// collation holds equal fold equal.
func (p *plan) appendKey(b []byte, values []any) []byte {
	for _, i := range p.j.keyIdx {
		switch v := values[i].(type) {
		case string:
			if p.j.columns[i].Type == models.Decimal {
				// PostgreSQL and MySQL hold 1.50 and 1.5 equal; the
				// converter keeps the digits as written.
				v = trimDecimalZeros(v)
			}
			b = append(b, p.foldKey(v)...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case float64:
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		case bool:
			b = strconv.AppendBool(b, v)
		case time.Time:
			b = binary.BigEndian.AppendUint64(b, uint64(v.UnixNano()))
		default:
			b = fmt.Append(b, v)
		}
		b = append(b, 0)
	}
	return b
}

// trimDecimalZeros drops a canonical decimal's trailing fraction zeros,
// and its point when nothing is left after it.
func trimDecimalZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// scanKeys reads the file once, converting only the key columns, and
// returns the filter of its suspect keys. Rows that do not parse are
// skipped here; the import proper rejects them. The filter's bits are
// dropped at the end: only the suspects are needed from then on, and the
// memory goes back to the system before the import starts.
func scanKeys(ctx context.Context, src Source, f File, p *plan, maxSuspects int) (*keyFilter, error) {
	r, err := src.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rd, err := NewReader(r, f.Name, p.j.format)
	if err != nil {
		return nil, err
	}
	rd.keysOnly = true
	kf := newKeyFilter(f.Size, maxSuspects)
	defer func() {
		kf.bits = nil
		kf.free()
		debug.FreeOSMemory()
	}()
	if err := kf.scan(ctx, keyRecordsFrom(rd, p), p); err != nil {
		return nil, err
	}
	return kf, nil
}

// scan adds the key of every record next returns, until the end or an
// overflow.
func (kf *keyFilter) scan(ctx context.Context, next func() (Record, error), p *plan) error {
	values := make([]any, len(p.fields))
	var key []byte
outer:
	for !kf.overflow {
		rec, err := next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		if rec.Err != nil {
			continue
		}
		for _, i := range p.j.keyIdx {
			v, err := p.cell(i, rec)
			if err != nil {
				continue outer
			}
			values[i] = v
		}
		key = p.appendKey(key[:0], values)
		kf.add(key)
	}
	return nil
}

// keyRecordsFrom returns the records of rd's remaining text with only the
// key fields set: the splitter is the Reader's own, so the records are the
// ones Reader.Next returns, but only the few strings the key needs are
// made. Records the Reader would reject (for their field count, a field
// over max_field, text it cannot split) come back with Err set.
func keyRecordsFrom(rd *Reader, p *plan) func() (Record, error) {
	var need []bool
	for _, i := range p.j.keyIdx {
		for len(need) <= p.fields[i] {
			need = append(need, false)
		}
		need[p.fields[i]] = true
	}
	s, want := rd.split, len(rd.header)
	fields := make([]string, len(need))
	bad := &RowError{Reason: "not a good record"}
	return func() (Record, error) {
		if err := s.next(); err != nil {
			return Record{}, rd.splitError(err)
		}
		// As Reader.record decides: a long row is rejected, a short one
		// too unless ragged, and then its missing fields are empty, which
		// no key column takes.
		n := s.fieldCount()
		if s.bad != "" || s.big >= 0 || n > want || (n < want && !rd.ragged) || n < len(need) {
			return Record{Err: bad}, nil
		}
		for i, ok := range need {
			if ok {
				fields[i] = s.field(i)
			}
		}
		return Record{Line: s.start, Fields: fields}, nil
	}
}
