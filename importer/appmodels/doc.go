// Package appmodels writes the Flask-SQLAlchemy models.py of the tables a
// config's jobs import into, as sluice creates them on the configured
// database, so the web app reads them with the types they hold and an
// Alembic autogenerate (Flask-Migrate) run finds nothing to change.
//
// The column types come from the dialect's own ColumnType, the DDL sluice
// runs, so the models follow it; a SQL type with no SQLAlchemy counterpart
// here is an error rather than a guess. Generate writes no file and
// needs no connection: where the text goes is the caller's choice.
package appmodels
