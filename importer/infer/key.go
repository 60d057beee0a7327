package infer

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/sluice-dev/sluice/models"
)

// Key is the natural key found, or why there is none.
type Key struct {
	Columns []int // indexes into the columns; empty: no key
	Note    string
}

// keyable types: an identifier is a number or text; a date or timestamp
// only beside another column (a day's row per store).
func keyable(c Column, pair bool) bool {
	switch c.Type {
	case models.Integer:
		return true
	case models.Text:
		return c.MaxLen <= maxKeyBytes
	case models.Date, models.Timestamp:
		return pair
	}
	return false
}

// maxKeyBytes is the longest text key every database takes: MySQL's key
// is a VARCHAR(255), and 255 bytes are at most 255 characters.
const maxKeyBytes = 255

// keyNames are the names of key columns, most telling first.
var keyNames = []string{"id", "uuid", "guid", "sku", "code", "key", "ref", "number", "no", "num"}

// nameScore is how much a column's name says it is a key: 3 for a name
// like id, 2 for one that ends like it (customer_id), 1 for one that
// starts like it, 0 otherwise.
func nameScore(name string) int {
	for _, k := range keyNames {
		switch {
		case name == k:
			return 3
		case strings.HasSuffix(name, "_"+k):
			return 2
		case strings.HasPrefix(name, k+"_"):
			return 1
		}
	}
	return 0
}

// rank orders key candidates: the name first, then values of one short
// length (codes), then a number or text over a date, then the header
// order.
func rank(cols []Column, idx []int) {
	score := func(i int) int {
		s := nameScore(cols[i].Name) * 4
		if cols[i].Code {
			s += 2
		}
		if cols[i].Type == models.Integer || cols[i].Type == models.Text {
			s++
		}
		return s
	}
	slices.SortStableFunc(idx, func(a, b int) int { return score(b) - score(a) })
}

// SingleKey returns the best one-column key, if a column is unique and
// never empty over every row seen.
func SingleKey(cols []Column, rows int64) (Key, bool) {
	var idx []int
	for i, c := range cols {
		if c.Unique && keyable(c, false) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 || rows == 0 {
		return Key{}, false
	}
	rank(cols, idx)
	return Key{Columns: idx[:1], Note: fmt.Sprintf("%s distinct of %s rows: the key", thousands(rows), thousands(rows))}, true
}

// maxPairColumns bounds the columns whose pairs the key scan tries (45
// pairs): the best-named never-empty ones.
const maxPairColumns = 10

// PairCandidates returns the pairs of never-empty columns worth trying as
// a key, best first.
func PairCandidates(cols []Column) [][]int {
	var idx []int
	for i, c := range cols {
		if c.Empty == 0 && c.Rows > 0 && keyable(c, true) {
			idx = append(idx, i)
		}
	}
	rank(cols, idx)
	if len(idx) > maxPairColumns {
		idx = idx[:maxPairColumns]
	}
	var pairs [][]int
	for a := 0; a < len(idx); a++ {
		for b := a + 1; b < len(idx); b++ {
			p := []int{idx[a], idx[b]}
			slices.Sort(p) // the key in header order
			pairs = append(pairs, p)
		}
	}
	return pairs
}

// KeyScan checks sets of columns for being unique together over a file's
// rows: each set's values are hashed until two rows repeat them.
type KeyScan struct {
	sets [][]int
	seen []map[uint64]struct{} // nil once the set repeats or has an empty cell
	seed maphash.Seed
	rows int64
	buf  []byte
}

// NewKeyScan starts checking the given sets of field indexes.
func NewKeyScan(sets [][]int) *KeyScan {
	k := &KeyScan{sets: sets, seen: make([]map[uint64]struct{}, len(sets)), seed: maphash.MakeSeed()}
	for i := range k.seen {
		k.seen[i] = map[uint64]struct{}{}
	}
	return k
}

// Add shows the scan one row.
func (k *KeyScan) Add(fields []string) {
	k.rows++
	for i, set := range k.sets {
		if k.seen[i] == nil {
			continue
		}
		k.buf = k.buf[:0]
		for _, f := range set {
			v := ""
			if f < len(fields) {
				v = strings.TrimSpace(fields[f])
			}
			if v == "" {
				k.seen[i] = nil
				break
			}
			k.buf = append(k.buf, fold(nil, v)...)
			k.buf = append(k.buf, 0) // no value holds a NUL: the reader rejects it
		}
		if k.seen[i] == nil {
			continue
		}
		h := maphash.Bytes(k.seed, k.buf)
		if _, dup := k.seen[i][h]; dup {
			k.seen[i] = nil
			continue
		}
		k.seen[i][h] = struct{}{}
	}
}

// Live reports whether some set is still unique: past that, reading on
// changes nothing.
func (k *KeyScan) Live() bool {
	return slices.ContainsFunc(k.seen, func(m map[uint64]struct{}) bool { return m != nil })
}

// Unique returns the first set, in the order given, that stayed unique
// and never empty.
func (k *KeyScan) Unique() ([]int, bool) {
	for i, m := range k.seen {
		if m != nil && k.rows > 0 {
			return k.sets[i], true
		}
	}
	return nil, false
}

// PairKey is the key the pair scan found, or the note of none.
func PairKey(cols []Column, k *KeyScan, rows int64) Key {
	if rows == 0 {
		return Key{Note: "the file has no data rows to find a key in: name it yourself (sluice init --key COL,...)"}
	}
	if set, ok := k.Unique(); ok {
		return Key{Columns: set, Note: fmt.Sprintf("no column is unique alone; %s together: %s distinct of %s rows: the key",
			names(cols, set), thousands(rows), thousands(rows))}
	}
	return Key{Note: "no column, nor pair of columns, is unique and never empty over the file: name the natural key yourself (sluice init --key COL,...), or fix the repeats"}
}

func names(cols []Column, set []int) string {
	n := make([]string, len(set))
	for i, c := range set {
		n[i] = cols[c].Name
	}
	return strings.Join(n, " and ")
}

// thousands writes n with commas: 3,376.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
