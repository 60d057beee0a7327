package models

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Tx is an import's transaction, pinned to one connection of the pool so
// that bulk paths needing the driver's own connection (PostgreSQL's COPY)
// run inside it. Commit and Rollback give the connection back.
type Tx struct {
	bun.Tx
	conn bun.Conn
	done bool
	// onRelease are statements run on the connection after the
	// transaction ends, before it goes back to the pool.
	onRelease []string
}

// Begin starts a transaction on a connection of its own.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	conn, err := db.Bun.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db.Target, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin transaction on %s: %w", db.Target, err)
	}
	return &Tx{Tx: tx, conn: conn}, nil
}

// Commit commits and releases the connection.
func (tx *Tx) Commit() error {
	err := tx.Tx.Commit()
	tx.release()
	return err
}

// Rollback rolls back and releases the connection; after Commit it does
// nothing, so it can be deferred.
func (tx *Tx) Rollback() error {
	if tx.done {
		return nil
	}
	err := tx.Tx.Rollback()
	tx.release()
	return err
}

func (tx *Tx) release() {
	if tx.done {
		return
	}
	tx.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range tx.onRelease {
		if _, err := tx.conn.ExecContext(ctx, q); err != nil {
			// The session cannot be cleaned: close it rather than pool it.
			_ = tx.conn.Raw(func(any) error { return driver.ErrBadConn })
			break
		}
	}
	tx.conn.Close()
}

// raw runs f with the driver's connection under the transaction.
func (tx *Tx) raw(f func(driverConn any) error) error { return tx.conn.Raw(f) }
