package importer

import (
	"fmt"
	"testing"
)

// TestKeyFilter checks the property the direct write path relies on:
// every key that really repeats is a suspect (no false negatives), and
// the false positives stay few; past the limit everything is suspect.
func TestKeyFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		keys        int
		repeatEvery int // key i*repeatEvery appears twice
		maxSuspects int
		overflow    bool
	}{
		{name: "no repeats", keys: 200_000, repeatEvery: 0, maxSuspects: defaultMaxSuspects},
		{name: "some repeats", keys: 200_000, repeatEvery: 97, maxSuspects: defaultMaxSuspects},
		{name: "over the limit", keys: 10_000, repeatEvery: 2, maxSuspects: 100, overflow: true},
		{name: "limit 0 stages all", keys: 10, maxSuspects: 0, overflow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kf := newKeyFilter(int64(tt.keys)*60, tt.maxSuspects)
			t.Cleanup(kf.free)
			key := func(i int) []byte { return fmt.Appendf(nil, "SK-%08d\x00", i) }
			repeats := 0
			for i := range tt.keys {
				kf.add(key(i))
				if tt.repeatEvery > 0 && i%tt.repeatEvery == 0 {
					kf.add(key(i))
					repeats++
				}
			}
			if kf.overflow != tt.overflow {
				t.Fatalf("overflow = %v, want %v", kf.overflow, tt.overflow)
			}
			if tt.overflow {
				if !kf.suspect(key(1)) {
					t.Fatal("after overflow every key must be suspect")
				}
				return
			}
			for i := 0; tt.repeatEvery > 0 && i < tt.keys; i += tt.repeatEvery {
				if !kf.suspect(key(i)) {
					t.Fatalf("key %d repeats but is not a suspect", i)
				}
			}
			// 16 bits a key and 4 hashes: well under 1% false positives.
			if fp := len(kf.suspects) - repeats; fp > tt.keys/100 {
				t.Fatalf("%d false positives among %d keys", fp, tt.keys)
			}
		})
	}
}
