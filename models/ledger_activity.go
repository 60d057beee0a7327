package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Activity is what the ledger says of a job over time, for telling
// whether it is overdue (source.expect_every).
type Activity struct {
	// LastImport is when the job's last successful import finished;
	// zero when there is none.
	LastImport time.Time
	// FirstRun is when the job's first recorded run of any kind
	// started; zero when it has none.
	FirstRun time.Time
}

// Activity reads job's activity; a ledger not created yet has none. It
// creates nothing: sluice check and history read it too.
func (l *Ledger) Activity(ctx context.Context, job string) (Activity, error) {
	var a Activity
	info, err := l.db.Dialect.Inspect(ctx, l.db.Bun, ledgerTable)
	if err != nil || !info.Exists {
		return a, err
	}
	first, err := l.oneRun(ctx, "job = ?", "id ASC", job)
	if err != nil || first == nil {
		return a, err
	}
	a.FirstRun = first.StartedAt
	last, err := l.oneRun(ctx, "job = ? AND status = ?", "id DESC", job, StatusOK)
	if err != nil || last == nil {
		return a, err
	}
	a.LastImport = last.FinishedAt
	return a, nil
}

// oneRun is the first run where cond holds in order, or nil.
func (l *Ledger) oneRun(ctx context.Context, cond, order string, args ...any) (*Run, error) {
	r := new(Run)
	err := l.db.Bun.NewSelect().Model(r).Where(cond, args...).OrderExpr(order).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return r, nil
}
