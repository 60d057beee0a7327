package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkChecksumProgress is the checksum pass over a 64 MiB file
// without a listener and with one (sluice import on a terminal): the
// progress reports cost one comparison a read and a call a MiB.
//
//	go test -run '^$' -bench ChecksumProgress -count 3 ./importer/
func BenchmarkChecksumProgress(b *testing.B) {
	path := filepath.Join(b.TempDir(), "socks.csv")
	if err := os.WriteFile(path, bytes.Repeat([]byte("SK-00000001,Sock,Red,12.50,3,true,2026-09-01\n"), 64<<20/46), 0o644); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	f := File{Name: path, Size: st.Size()}
	src := newGlobSource(path)
	for _, tt := range []struct {
		name string
		fn   func(Progress)
	}{
		{"no listener", nil},
		{"listener", func(Progress) {}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(f.Size)
			for b.Loop() {
				rep := &progressReport{fn: tt.fn}
				rep.begin(PassChecksum)
				if _, _, err := checksum(context.Background(), rep.source(src), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
