-- sluice_runs at ledger version 2, the release before the source and
-- file_version columns: ledger-v1's table with the two columns version 2
-- added, as bun declares them on postgres, its sluice_schema row, and one run.
CREATE TABLE IF NOT EXISTS "sluice_runs" ("id" BIGSERIAL NOT NULL, "job" VARCHAR NOT NULL, "path" text NOT NULL, "size" BIGINT NOT NULL, "sha256" VARCHAR NOT NULL, "started_at" TIMESTAMPTZ NOT NULL, "finished_at" TIMESTAMPTZ NOT NULL, "status" VARCHAR NOT NULL, "forced" BOOLEAN NOT NULL, "rows" BIGINT NOT NULL, "inserted" BIGINT NOT NULL, "updated" BIGINT NOT NULL, "unchanged" BIGINT NOT NULL, "rejected" BIGINT NOT NULL, "reject_file" text NOT NULL, "error" text NOT NULL, "duplicates" BIGINT NOT NULL DEFAULT 0, "deleted" BIGINT NOT NULL DEFAULT 0, PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "sluice_runs_job_sha256" ON "sluice_runs" ("job", "sha256", "status");
INSERT INTO "sluice_runs" ("job", "path", "size", "sha256", "started_at", "finished_at", "status", "forced", "rows", "inserted", "updated", "unchanged", "rejected", "reject_file", "error", "duplicates") VALUES ('socks', '/srv/dumps/socks-2026-09.csv', 24790, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '2026-10-01 03:00:00.123456+00', '2026-10-01 03:00:01.5+00', 'ok', false, 300, 300, 0, 0, 0, '', '', 2);
CREATE TABLE IF NOT EXISTS "sluice_schema" (name VARCHAR(64) NOT NULL PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO "sluice_schema" (name, version) VALUES ('sluice_runs', 2);
