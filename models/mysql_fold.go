package models

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Folded is a set of lines whose keys differ as text but are one key to
// the table, because its key column's collation folds them together
// (case, accents, trailing spaces under MySQL's _ci collations). The last
// line was kept; the others count as duplicates.
type Folded struct {
	Lines []int64    // in file order; the last one was kept
	Keys  [][]string // each line's key, as the file spells it
	// Collation is the collation that folded them (of the first text
	// key column that folds).
	Collation string
}

// foldingKey is a text key column of a MySQL table whose collation folds
// keys, with the exact (NO PAD binary) collation of its charset, under
// which the stage keeps the file's keys apart.
type foldingKey struct {
	name, columnType, charset, collation, exact string
}

// foldingKeys reads which text key columns of ds's table fold keys. A
// charset without a NO PAD binary collation (MySQL 5.7) cannot keep them
// apart, and is left to fold as before. A dry run's stand-in is not in
// information_schema: its keys are sluice's own, exact.
func foldingKeys(ctx context.Context, tx *Tx, ds *Dataset) ([]foldingKey, error) {
	texts := textKeys(ds)
	if len(texts) == 0 {
		return nil, nil
	}
	q := `SELECT c.column_name, c.column_type, c.character_set_name, c.collation_name,
		(SELECT x.collation_name FROM information_schema.collations x
			WHERE x.collation_name IN (CONCAT(c.character_set_name, '_nopad_bin'), CONCAT(c.character_set_name, '_0900_bin'))
			ORDER BY x.collation_name DESC LIMIT 1)
		FROM information_schema.columns c
		WHERE c.table_schema = DATABASE() AND c.table_name = ? AND c.column_name IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(texts)), ", ") + `)`
	args := []any{ds.Table}
	for _, t := range texts {
		args = append(args, t)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read the key collations of %s: %w", ds.Table, err)
	}
	defer rows.Close()
	var keys []foldingKey
	for rows.Next() {
		var k foldingKey
		var cs, coll, exact sql.NullString
		if err := rows.Scan(&k.name, &k.columnType, &cs, &coll, &exact); err != nil {
			return nil, fmt.Errorf("read the key collations of %s: %w", ds.Table, err)
		}
		if !cs.Valid || !exact.Valid || coll.String == exact.String {
			continue
		}
		k.charset, k.collation, k.exact = cs.String, coll.String, exact.String
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the key collations of %s: %w", ds.Table, err)
	}
	return keys, nil
}

// stageColumns are the column definitions a stage gives its folding key
// columns: CREATE … SELECT takes a column defined in both parts as the
// definition says.
func stageColumns(keys []foldingKey) string {
	var defs strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&defs, ", %s %s CHARACTER SET %s COLLATE %s NOT NULL", quoteIdent(k.name), k.columnType, k.charset, k.exact)
	}
	return defs.String()
}

// foldStage finds the stage's keys that the table's collations fold
// together, keeps the last line of each such group and deletes the
// others, so the merge meets each of the table's keys once. The stage's
// own key is exact, so each group holds keys that differ as text.
func foldStage(ctx context.Context, tx *Tx, stage string, ds *Dataset, keys []foldingKey) ([]Folded, error) {
	group := make([]string, len(ds.Key))
	spell := make([]string, len(ds.Key))
	for i, name := range ds.Key {
		group[i] = quoteIdent(name)
		spell[i] = "HEX(CONVERT(" + quoteIdent(name) + " USING utf8mb4))"
		for _, f := range keys {
			if f.name == name {
				group[i] += " COLLATE " + f.collation
			}
		}
	}
	// Lines and keys come back as one list per group, the keys in hex
	// (UTF-8 whatever the column's charset), so no separator can clash.
	if _, err := tx.ExecContext(ctx, "SET SESSION group_concat_max_len = 1073741824"); err != nil {
		return nil, fmt.Errorf("find folded keys: %w", err)
	}
	tx.onRelease = append(tx.onRelease, "SET SESSION group_concat_max_len = DEFAULT")
	q := fmt.Sprintf(`SELECT COUNT(*), GROUP_CONCAT(sluice_line ORDER BY sluice_line SEPARATOR ','),
		GROUP_CONCAT(CONCAT_WS(',', %s) ORDER BY sluice_line SEPARATOR ';')
		FROM %s GROUP BY %s HAVING COUNT(*) > 1`, strings.Join(spell, ", "), quoteIdent(stage), strings.Join(group, ", "))
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find folded keys: %w", err)
	}
	defer rows.Close()
	var folds []Folded
	var drop [][]string
	for rows.Next() {
		var n int
		var lines, spellings string
		if err := rows.Scan(&n, &lines, &spellings); err != nil {
			return nil, fmt.Errorf("find folded keys: %w", err)
		}
		f := Folded{Collation: keys[0].collation}
		for _, l := range strings.Split(lines, ",") {
			line, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("find folded keys: line %q: %w", l, err)
			}
			f.Lines = append(f.Lines, line)
		}
		for _, s := range strings.Split(spellings, ";") {
			var key []string
			for _, h := range strings.Split(s, ",") {
				b, err := hex.DecodeString(h)
				if err != nil {
					return nil, fmt.Errorf("find folded keys: key %q: %w", h, err)
				}
				key = append(key, string(b))
			}
			f.Keys = append(f.Keys, key)
		}
		if len(f.Keys) != n || len(f.Lines) != n {
			// GROUP_CONCAT cut a list off at group_concat_max_len.
			return nil, fmt.Errorf("find folded keys: %d lines fold into one key, too many to list", n)
		}
		drop = append(drop, f.Keys[:len(f.Keys)-1]...)
		folds = append(folds, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find folded keys: %w", err)
	}
	rows.Close()
	slices.SortFunc(folds, func(a, b Folded) int { return cmp.Compare(a.Lines[0], b.Lines[0]) })
	// By the stage's exact key, so each statement reads its rows only.
	one := "(" + strings.Join(quoteAll(ds.Key), " = ? AND ") + " = ?)"
	for len(drop) > 0 {
		n := min(len(drop), 500)
		var args []any
		for _, k := range drop[:n] {
			for _, v := range k {
				args = append(args, v)
			}
		}
		q := fmt.Sprintf("DELETE FROM %s WHERE %s", quoteIdent(stage), strings.TrimSuffix(strings.Repeat(one+" OR ", n), " OR "))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return nil, fmt.Errorf("drop the folded keys' earlier lines: %w", err)
		}
		drop = drop[n:]
	}
	return folds, nil
}
