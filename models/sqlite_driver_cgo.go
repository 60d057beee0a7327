//go:build cgo

package models

import (
	// The cgo driver loads about 1.5–2× faster than the pure-Go one
	// (BENCHMARKS.md), so a binary gets it whenever cgo is on, as `go
	// run` and `go install` build by default where a C compiler is found;
	// sqliteshim would pick modernc.org/sqlite unless told by a build tag.
	_ "github.com/mattn/go-sqlite3"
)

// sqliteDriverName is the database/sql driver sluice opens SQLite with,
// and sqlitePureGo says whether it is modernc.org/sqlite.
const (
	sqliteDriverName = "sqlite3"
	sqlitePureGo     = false
)

// sqliteUnsupported reports whether err is a driver's "not built in"
// error; the cgo driver always is.
func sqliteUnsupported(error) bool { return false }
