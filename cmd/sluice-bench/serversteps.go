package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// serverSluiceSteps imports base.csv and then next.csv into a fresh
// database of the run, summarises the table after each month for the
// reference to match, and drops the database before the reference starts,
// so neither side's leftovers (autovacuum, dirty pages) weigh on the other.
func (b *bench) serverSluiceSteps(ctx context.Context) {
	if !b.haveBinary(ctx) {
		return
	}
	db := b.dbName("sluice")
	drop, err := b.createDB(ctx, db)
	defer drop()
	if err == nil {
		err = b.removeRejects()
	}
	if err != nil {
		b.sluiceBase.err = err
		b.sluiceNext.err = errors.New("skipped: base import failed")
		return
	}
	env := []string{"DATABASE_URL=" + withDB(b.srv.admin(), db).String()}
	b.sluiceImports(ctx, b.bin, "sluice-", b.sluiceBase, b.sluiceNext, env, func(s *step, month int) error {
		sums, err := b.tableSums(ctx, db, s.rows)
		b.sluiceSums[month] = sums
		return err
	})
	b.sluiceSyncSteps(ctx, b.bin, "sluice-", b.sluiceNext, b.gone, env, func(want int) error { return b.checkServerCount(ctx, db, "socks", want) })
	if b.schemaDDL == "" && b.sluiceBase.err == nil {
		b.copySchema(ctx, db)
	}
}

// copySchema keeps the DDL of the table sluice created, so every
// reference run loads into the same columns, types and indexes.
func (b *bench) copySchema(ctx context.Context, db string) {
	out, err := b.query(ctx, db, b.srv.schemaSQL())
	if err == nil && out != "" {
		b.schema, b.schemaDDL = b.srv.schemaSource(), b.srv.schemaFrom(out)
		return
	}
	b.log.Warn("cannot read sluice schema, using the fallback DDL", "err", err)
}

// serverReferenceSteps loads the same files with the server's CLI into a
// fresh database of the run: base.csv into the copied schema, the raw
// lower bound into a table of its own, then next.csv on top of base.csv.
// Each load must leave the table as sluice left it.
func (b *bench) serverReferenceSteps(ctx context.Context) {
	if b.schemaDDL == "" {
		// Decided in the first run and kept, as on SQLite.
		b.schema, b.schemaDDL = "fallback DDL (sluice did not create one)", b.srv.fallbackSchema()
	}
	base, err := readHeader(b.path(baseCSV))
	var next []string
	if err == nil {
		next, err = readHeader(b.path(nextCSV))
	}
	db := b.dbName("ref")
	drop := func() {}
	if err == nil {
		drop, err = b.createDB(ctx, db)
	}
	defer drop()
	if err != nil {
		for _, s := range []*step{b.refBase, b.refRaw, b.refNext} {
			s.err = err
		}
		return
	}
	if _, err := b.query(ctx, db, b.schemaDDL); err != nil {
		b.refBase.err = fmt.Errorf("create the socks table in %s: %w", db, err)
	} else {
		script, err := b.srv.loadScript(b.path(baseCSV), base, false)
		b.runServer(ctx, b.refBase, "ref-base", db, script, err, func() error { return b.matchSluice(ctx, db, 0, b.refBase.rows) })
	}

	script, err := b.srv.rawScript(b.path(baseCSV), base)
	b.runServer(ctx, b.refRaw, "ref-raw", db, script, err, func() error {
		return b.checkServerCount(ctx, db, "socks_raw", b.refRaw.rows)
	})

	if b.refBase.err != nil {
		b.refNext.err = errors.New("skipped: reference base import failed")
		return
	}
	script, err = b.srv.loadScript(b.path(nextCSV), next, true)
	b.runServer(ctx, b.refNext, "ref-next", db, script, err, func() error { return b.matchSluice(ctx, db, 1, b.refNext.rows) })
	b.serverReferenceSyncSteps(ctx, db)
}

// serverReferenceSyncSteps are the sync's references (see
// referenceGoneSteps) on the reference's table in db.
func (b *bench) serverReferenceSyncSteps(ctx context.Context, db string) {
	b.referenceGoneSteps(func(header []string, sync bool) (string, error) {
		if sync {
			return b.srv.syncScript(b.path(goneCSV), header)
		}
		return b.srv.loadScript(b.path(goneCSV), header, true)
	}, func(s *step, log, script string, rows int) {
		b.runServer(ctx, s, log, db, script, nil, func() error { return b.checkServerCount(ctx, db, "socks", rows) })
	})
}

// runServer times the client running script on db, then runs check.
// prepErr is an error from building the script.
func (b *bench) runServer(ctx context.Context, s *step, logName, db, script string, prepErr error, check func() error) {
	if prepErr != nil {
		s.err = prepErr
		return
	}
	args, env := b.srv.command(db, false)
	b.timeStep(ctx, s, logName, strings.NewReader(script), env, args[0], args[1:]...)
	if s.err == nil {
		s.err = check()
	}
}

// matchSluice checks the reference's table after month against sluice's
// in the same run: the same row count and the same sums. When sluice's
// step failed, only the row count can be checked.
func (b *bench) matchSluice(ctx context.Context, db string, month, rows int) error {
	got, err := b.tableSums(ctx, db, rows)
	if err != nil {
		return err
	}
	want := b.sluiceSums[month]
	if want == nil {
		return nil
	}
	var diffs []string
	for i, label := range sumExprs() {
		if got[i] != want[i] {
			diffs = append(diffs, fmt.Sprintf("%s = %s, sluice %s", label, got[i], want[i]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the reference's socks differs from sluice's: %s", strings.Join(diffs, "; "))
	}
	return nil
}

// sumExprs summarise the socks table, column by column, in SQL that
// PostgreSQL and MariaDB both read: two loads of one file into one schema
// agree on every one of them, while a wrong conversion (an empty string
// for NULL, a boolean spelling lost, a quote mangled) changes at least one.
func sumExprs() []string {
	exprs := []string{"count(*)"}
	for _, c := range socksColumns {
		switch c.typ {
		case "", "text":
			exprs = append(exprs, "count("+c.name+")", "sum(char_length("+c.name+"))")
		case "boolean":
			exprs = append(exprs, "sum(CASE WHEN "+c.name+" THEN 1 ELSE 0 END)")
		case "date":
			exprs = append(exprs, "min("+c.name+")", "max("+c.name+")")
		default:
			exprs = append(exprs, "sum("+c.name+")")
		}
	}
	return exprs
}

// tableSums returns the socks table's sums (see sumExprs) in db, after
// checking that it has rows rows.
func (b *bench) tableSums(ctx context.Context, db string, rows int) ([]string, error) {
	exprs := sumExprs()
	out, err := b.query(ctx, db, "SELECT "+strings.Join(exprs, ", ")+" FROM socks;")
	if err != nil {
		return nil, fmt.Errorf("summarise socks: %w", err)
	}
	// psql separates columns with '|', mariadb with tabs; no value here
	// holds either.
	sums := strings.Split(strings.ReplaceAll(out, "\t", "|"), "|")
	if len(sums) != len(exprs) {
		return nil, fmt.Errorf("summarise socks in %s: got %q, want %d values", db, out, len(exprs))
	}
	if sums[0] != strconv.Itoa(rows) {
		return nil, fmt.Errorf("%s has %s rows in socks, want %d", db, sums[0], rows)
	}
	return sums, nil
}

// checkServerCount guards against a fast step that imported nothing.
func (b *bench) checkServerCount(ctx context.Context, db, table string, want int) error {
	out, err := b.query(ctx, db, "SELECT count(*) FROM "+table+";")
	if err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	if out != strconv.Itoa(want) {
		return fmt.Errorf("%s has %s rows in %s, want %d", db, out, table, want)
	}
	return nil
}
