//go:build !cgo

package models

import (
	"errors"

	"github.com/uptrace/bun/driver/sqliteshim"
)

// Without cgo (CGO_ENABLED=0, or no C compiler found), sqliteshim gives
// modernc.org/sqlite, pure Go, where the platform has it.
const (
	sqliteDriverName = sqliteshim.ShimName
	sqlitePureGo     = true
)

// sqliteUnsupported reports whether err is sqliteshim saying that this
// platform has no pure-Go SQLite and the binary no cgo one.
func sqliteUnsupported(err error) bool {
	var unsupported *sqliteshim.UnsupportedError
	return errors.As(err, &unsupported)
}
