//go:build !unix

package main

import "os"

// peakRSSKiB is unknown (0) where the OS does not report rusage.
func peakRSSKiB(*os.ProcessState) int64 { return 0 }
