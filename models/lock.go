package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ErrLocked is what Lock returns when another process held the lock for
// the whole wait.
var ErrLocked = errors.New("held by another process")

// lockPoll is how often a waiting process tries the lock again. Polling
// rather than blocking in the database keeps the wait cancellable and the
// same on every database.
const lockPoll = 100 * time.Millisecond

// pollLock calls try until it reports the lock taken, wait has passed, or
// ctx is done.
func pollLock(ctx context.Context, wait time.Duration, try func() (bool, error)) error {
	deadline := time.Now().Add(wait)
	for {
		ok, err := try()
		if err != nil || ok {
			return err
		}
		if !time.Now().Before(deadline) {
			return ErrLocked
		}
		t := time.NewTimer(min(lockPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sessionLock takes a server-side lock that belongs to a database session
// (PostgreSQL's advisory locks, MySQL's GET_LOCK) on a connection kept out
// of the pool until release. If the server ends the session, the lock goes
// with it.
func sessionLock(ctx context.Context, db *DB, wait time.Duration, try, unlock func(ctx context.Context, conn bun.Conn) (bool, error)) (func() error, error) {
	conn, err := db.Bun.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db.Target, err)
	}
	if err := pollLock(ctx, wait, func() (bool, error) { return try(ctx, conn) }); err != nil {
		conn.Close()
		return nil, err
	}
	return func() error {
		ok, err := unlock(context.WithoutCancel(ctx), conn)
		if err != nil || !ok {
			// Closing the session is the sure way to let go: tell
			// database/sql the connection is bad so it is not reused.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
		return err
	}, nil
}
