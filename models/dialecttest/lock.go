package dialecttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// exerciseLock: the job lock is held against another process (another
// pool) until released, per name, and a wait gives up with ErrLocked.
func exerciseLock(ctx context.Context, t *testing.T, s *suite) {
	a, b := s.open(ctx, t), s.open(ctx, t)
	release, err := a.Dialect.Lock(ctx, a, "socks", 0)
	if err != nil {
		t.Fatalf("Lock(socks): %v", err)
	}
	start := time.Now()
	if _, err := b.Dialect.Lock(ctx, b, "socks", 200*time.Millisecond); !errors.Is(err, models.ErrLocked) {
		t.Errorf("second Lock(socks) while held = %v, want ErrLocked", err)
	} else if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("second Lock(socks) gave up after %s, before its 200ms wait", waited)
	}
	other, err := b.Dialect.Lock(ctx, b, "stock", 0)
	if err != nil {
		t.Errorf("Lock(stock) while socks is held: %v", err)
	} else if err := other(); err != nil {
		t.Errorf("release stock: %v", err)
	}
	if err := release(); err != nil {
		t.Errorf("release socks: %v", err)
	}
	again, err := b.Dialect.Lock(ctx, b, "socks", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock(socks) after its release: %v", err)
	}
	if err := again(); err != nil {
		t.Errorf("release socks: %v", err)
	}
}
