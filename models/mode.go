package models

import (
	"fmt"
	"strings"
)

// Mode says what a load does with a key that is already in the table. It
// travels from config.yaml into the merge unchanged: the statements that
// differ by mode are built here, per database.
type Mode string

const (
	// ModeUpsert inserts new keys and updates rows whose values changed.
	ModeUpsert Mode = "upsert"
	// ModeInsertNew inserts new keys and never touches existing rows.
	ModeInsertNew Mode = "insert-new"
	// ModeSync upserts, then deletes or marks the table's rows whose key
	// the file lacks (see SyncSpec): the file is a full dump.
	ModeSync Mode = "sync"
)

// Modes lists every Mode in documentation order.
var Modes = []Mode{ModeUpsert, ModeInsertNew, ModeSync}

// ParseMode returns the Mode named s; an empty s is ModeUpsert.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return ModeUpsert, nil
	}
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("unknown mode %q (want %s)", s, strings.Join(names, ", "))
}

// updates reports whether the mode rewrites existing rows that differ.
func (m Mode) updates() bool { return m != ModeInsertNew }
