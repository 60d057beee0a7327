package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	sdnotify "github.com/coreos/go-systemd/v22/daemon"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/monitor"
	"github.com/sluice-dev/sluice/importer/schedule"
)

const daemonExamples = `  sluice daemon                                   # run every job on its schedule
  sluice daemon --run-now                         # run every job once now, then on schedule
  sluice daemon --listen 127.0.0.1:9108           # serve /healthz and /metrics
  kill -HUP <pid>                                 # reload config.yaml (a bad one is refused)
`

func runDaemon(ctx context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "daemon", "daemon [--listen ADDR] [--run-now] [--shutdown-timeout 30s]", daemonExamples)
	listen := fs.String("listen", "", "serve /healthz and /metrics on this address (e.g. 127.0.0.1:9108); off when empty")
	runNow := fs.Bool("run-now", false, "run every job once at start, then keep the schedule")
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long a running import may finish before it is cancelled and rolled back")
	lockTimeout := fs.Duration("lock-timeout", importer.DefaultLockTimeout, "how long a run waits while another sluice imports the same job")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	g.structured = true
	log, err := g.logger(e)
	if err != nil {
		return err
	}
	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is pending already
			}
		}
	}()
	mon := monitor.New()
	d, err := schedule.New(schedule.Options{
		ConfigPath: g.config, Lookup: e.lookup, Log: log, Monitor: mon,
		RunNow: *runNow, ShutdownTimeout: *shutdown, LockTimeout: lockWait(*lockTimeout),
		Reload: reload, Notify: notifier(log),
	})
	if err != nil {
		return err
	}
	if *listen != "" {
		stop, err := serve(*listen, mon, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("daemon started", "config", g.config, "pid", os.Getpid())
	return d.Run(ctx)
}

// serve starts the /healthz and /metrics server; the listener is opened
// here so a port in use is an error at start, not a log line later.
func serve(addr string, mon *monitor.Monitor, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--listen %s: %v", addr, err), hint: "--listen 127.0.0.1:9108"}
	}
	srv := &http.Server{Handler: mon.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server stopped", "err", err)
		}
	}()
	log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx) // best effort: the process is exiting
	}, nil
}

// notifier tells systemd (Type=notify) the daemon's state over
// NOTIFY_SOCKET; without one it does nothing.
func notifier(log *slog.Logger) func(string) {
	return func(state string) {
		if _, err := sdnotify.SdNotify(false, state); err != nil {
			log.Warn("sd_notify failed", "state", state, "err", err)
		}
	}
}
