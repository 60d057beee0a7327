//go:build unix

package importer

import (
	"syscall"
	"unsafe"
)

// newBitset allocates the key filter's bits outside the Go heap. The
// filter is the largest live object during the key scan; on the heap it
// would also let the collector wait for as much garbage again before
// running, doubling its cost in memory. Mapped pages are returned to the
// system at once by freeBitset.
func newBitset(words int) ([]uint64, func()) {
	b, err := syscall.Mmap(-1, 0, words*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, words), func() {}
	}
	bits := unsafeWords(b)
	return bits, func() { _ = syscall.Munmap(b) }
}

// unsafeWords views page-aligned bytes as uint64 words.
func unsafeWords(b []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}
