package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// LockedError says another process is importing the job.
type LockedError struct {
	Job    string
	Waited time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("job %s is already running: another sluice process holds its lock (waited %s; see --lock-timeout)", e.Job, e.Waited)
}

// lockJob takes the job's cross-process lock, so that a timer firing while
// someone imports by hand waits instead of importing the same files.
func (im *Importer) lockJob(ctx context.Context, j *Job) (func(), error) {
	start := time.Now()
	release, err := im.db.Dialect.Lock(ctx, im.db, j.Name, im.cfg.LockTimeout)
	if errors.Is(err, models.ErrLocked) {
		return nil, &LockedError{Job: j.Name, Waited: time.Since(start).Round(time.Millisecond)}
	}
	if err != nil {
		return nil, fmt.Errorf("job %s: take lock: %w", j.Name, err)
	}
	if waited := time.Since(start); waited > time.Second {
		im.log.Info("job lock taken after waiting", "job", j.Name, "waited", waited.Round(time.Millisecond))
	}
	return func() {
		if err := release(); err != nil {
			im.log.Warn("release job lock", "job", j.Name, "err", err)
		}
	}, nil
}
