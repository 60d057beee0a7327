//go:build !unix

package importer

// newBitset allocates the key filter's bits on the heap where there is
// no anonymous mmap.
func newBitset(words int) ([]uint64, func()) {
	return make([]uint64, words), func() {}
}
