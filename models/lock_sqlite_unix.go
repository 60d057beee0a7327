//go:build unix

package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// Lock on SQLite is an flock on a file beside the database,
// <db>-sluice-<name>.lock: SQLite's own write lock is per transaction,
// so two importers of one job would take turns file by file. The kernel
// drops the lock when the process ends. The file is left in place:
// removing a lock file races with the next process opening it.
func (*sqliteDialect) Lock(ctx context.Context, db *DB, name string, wait time.Duration) (func() error, error) {
	if db.Target.Path == ":memory:" {
		return func() error { return nil }, nil // no other process can see it
	}
	path := db.Target.Path + "-sluice-" + strings.Map(safeFileRune, name) + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, PrivateFileMode)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	err = pollLock(ctx, wait, func() (bool, error) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("lock %s: %w", path, err)
		}
		return true, nil
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	return f.Close, nil // closing the file releases the flock
}

func safeFileRune(r rune) rune {
	if r == '/' || r == 0 || r == '\\' {
		return '_'
	}
	return r
}
