// Package systemd owns what sluice tells systemd: the units that run a
// config's imports (sluice-import.service started by sluice-import.timer,
// or sluice.service running the daemon), the translation of the jobs' cron
// schedules into the timer's OnCalendar= values, and what the services
// will see of the environment through their EnvironmentFile=.
//
// PlanUnits works the units out once from a loaded config; the Plan gives
// their texts and the notes on what the operator must do before they can
// work. The package writes no file and prints nothing: where the units go
// is the caller's choice.
package systemd
