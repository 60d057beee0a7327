package importer

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkInferFile is sluice init's reading of a 100,000-row export
// (generateCSV), against BenchmarkInferRead, the same passes' reader alone
// on the same file: the ratio is what guessing costs over reading.
//
//	go test -run '^$' -bench 'Infer' -benchmem ./importer/
func BenchmarkInferFile(b *testing.B) {
	path := inferBenchFile(b)
	for b.Loop() {
		res, err := InferFile(b.Context(), path, InferOptions{})
		if err != nil || res.Rows != inferBenchRows || len(res.Key.Columns) != 1 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(inferBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkInferRead(b *testing.B) {
	path := inferBenchFile(b)
	src := newFileList([]string{path})
	files, err := src.List(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		err := eachRecord(b.Context(), src, files[0], Format{}, DefaultInferRows, func([]string) error { return nil }, func(Record, bool) { n++ })
		if err != nil || n != inferBenchRows {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(float64(inferBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

const inferBenchRows = 100_000

func inferBenchFile(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "export.csv")
	if err := os.WriteFile(path, generateCSV(inferBenchRows), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}
