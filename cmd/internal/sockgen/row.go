package sockgen

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The vocabulary, with each value already encoded as a CSV field so the hot
// loop only copies bytes.
var (
	styles    = fields("ankle", "crew", "knee-high", "no-show", "over-the-knee", "quarter")
	sizes     = fields("S", "M", "L", "XL")
	colours   = fields("Black", "White", "Navy", "Charcoal", "Red", "Mustard", "Forest Green", "Burgundy", "Heather Grey", "Sky Blue", "Multicolour", "Teal", "Orange")
	suppliers = fields("Knitwell Ltd", "Sockworks GmbH", "Pasaporte Textiles, S.A.", "Hosiery & Co", "Fil d'Or SARL")
	adjs      = []string{"Merino", "Bamboo", "Cotton", "Cashmere", "Hiker", "Runner", "Cosy", "Everyday", "Trail", "Office", "Alpaca", "Sporty", "Thermal", "Lucky"}
	patterns  = []string{"Argyle", "Stripe", "Dot", "Plain", "Rib", "Cable Knit", "Fair Isle", "Herringbone", "Chevron", "Houndstooth"}
	// Names that need quoting, so a benchmark pays for the quoted path too.
	specials = fields(
		`Hiker's Choice, Wool Blend`,
		`The "Sunday" Sock`,
		`Cosy, "Extra Thick" Lounge`,
		`Grandma's "Secret" Pattern, Hand-Finished`,
		`Crème Brûlée Stripe`,
		`Smörgåsbord Dot`,
		`Toe, Heel & Arch Support`,
		`"Odd" Pair, Mismatched`,
	)
	plainNames = func() [][]byte {
		var out []string
		for _, a := range adjs {
			for _, p := range patterns {
				out = append(out, a+" "+p)
			}
		}
		return fields(out...)
	}()
	// bools[spelling][value]: true/false, yes/no, 1/0.
	bools = [3][2][]byte{{[]byte("false"), []byte("true")}, {[]byte("no"), []byte("yes")}, {[]byte("0"), []byte("1")}}
	// Base rows were last updated 2026-06-01..2026-09-01, new rows
	// 2026-09-02..2026-10-01, changed rows on 2026-10-01.
	days = func() [][]byte {
		start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		var out [][]byte
		for d := start; !d.After(nextFirst); d = d.AddDate(0, 0, 1) {
			out = append(out, []byte(d.Format(time.DateOnly)))
		}
		return out
	}()
	nextFirst = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

const baseDays = 93 // 2026-06-01..2026-09-01

func fields(vs ...string) [][]byte {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		if strings.ContainsAny(v, ",\"\r\n") {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		out[i] = []byte(v)
	}
	return out
}

// rowGen derives rows from (seed, index). It reseeds one PCG per row rather
// than allocating, which keeps generation allocation-free.
type rowGen struct {
	seed  uint64
	width int
	rows  int
	pcg   *rand.PCG
	r     *rand.Rand
}

func newRowGen(o Options) *rowGen {
	pcg := rand.NewPCG(0, 0)
	return &rowGen{seed: o.Seed, width: skuWidth(o), rows: o.Rows, pcg: pcg, r: rand.New(pcg)}
}

// splitmix64 spreads consecutive indexes over the whole seed space.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// appendRow appends row i (0-based, SKU i+1) of month to b. Base values are
// drawn first and in a fixed order, so a row's base values are the same in
// both months and a change only adds draws after them.
func (g *rowGen) appendRow(b []byte, i, month int, change bool) []byte {
	g.pcg.Seed(g.seed, splitmix64(uint64(i)))
	r := g.r

	var name []byte
	if r.IntN(10) == 0 {
		name = specials[r.IntN(len(specials))]
	} else {
		name = plainNames[r.IntN(len(plainNames))]
	}
	var colour []byte // a few socks have no colour: NULL
	if r.IntN(40) != 0 {
		colour = colours[r.IntN(len(colours))]
	}
	size := sizes[r.IntN(len(sizes))]
	style := styles[r.IntN(len(styles))]
	cents := 450 + 5*r.IntN(510) // 4.50..29.95
	qty := 0
	if r.IntN(20) != 0 {
		qty = 1 + r.IntN(500)
	}
	spelling := 0
	switch x := r.IntN(20); {
	case x >= 17:
		spelling = 2
	case x >= 14:
		spelling = 1
	}
	supplier := suppliers[r.IntN(len(suppliers))]
	var day []byte
	if i < g.rows {
		day = days[r.IntN(baseDays)]
	} else {
		day = days[baseDays+r.IntN(len(days)-baseDays)]
	}

	if change {
		kind := r.IntN(3) // 0 price, 1 quantity, 2 both
		if kind != 1 {
			delta := 5 * (1 + r.IntN(40))
			if r.IntN(2) == 0 && cents-delta >= 450 {
				delta = -delta
			}
			cents += delta
		}
		if kind != 0 {
			switch delta := 1 + r.IntN(100); {
			case qty > 0 && r.IntN(8) == 0:
				qty = 0 // sold out
			case r.IntN(2) == 0 && qty >= delta:
				qty -= delta
			default:
				qty += delta
			}
		}
		day = days[len(days)-1]
	}

	b = append(b, "SK-"...)
	b = appendPadded(b, i+1, g.width)
	b = append(b, ',')
	b = append(b, name...)
	b = append(b, ',')
	b = append(b, colour...)
	b = append(b, ',')
	b = append(b, size...)
	b = append(b, ',')
	b = append(b, style...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(cents/100), 10)
	b = append(b, '.', byte('0'+cents%100/10), byte('0'+cents%10), ',')
	inStock := 0
	if qty > 0 {
		inStock = 1
	}
	b = append(b, bools[spelling][inStock]...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(qty), 10)
	b = append(b, ',')
	b = append(b, supplier...)
	b = append(b, ',')
	b = append(b, day...)
	return append(b, '\n')
}

func appendPadded(b []byte, n, width int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(n), 10)
	for range width - len(d) {
		b = append(b, '0')
	}
	return append(b, d...)
}
