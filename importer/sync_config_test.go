package importer

import (
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// TestLoadConfigSyncErrors: each mistake in a sync: block is a config
// error naming the field and what is wrong.
func TestLoadConfigSyncErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ file, err string }{
		{"sync_without_mode.yaml", `: jobs[0].sync: is only read in mode: sync (the mode is upsert)`},
		{"sync_bad_missing.yaml", `: jobs[0].sync.missing: unknown value "remove" (want delete or mark)`},
		{"sync_mark_no_column.yaml", `: jobs[0].sync.column: missing: mark needs the timestamp column it sets (such as deleted_at)`},
		{"sync_mark_declared_column.yaml", `: jobs[0].sync.column: "QTY" is a declared column; mark needs a column of its own that no CSV column feeds`},
		{"sync_column_on_delete.yaml", `: jobs[0].sync.column: is only used by missing: mark`},
		{"sync_bad_max.yaml", `: jobs[0].sync.max_missing: "half" is not a row count (like 100) or a percentage (like 5%)`},
		{"sync_scope_unknown.yaml", `: jobs[0].sync.scope: "warehouse" is not a declared column`},
		{"sync_scope_bad_value.yaml", `: jobs[0].sync.scope.qty: "many": `},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := configFixture(tt.file)
			_, err := LoadConfig(path, noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), path+tt.err) {
				t.Fatalf("LoadConfig(%s) error:\n got %v\nwant %q…", path, err, path+tt.err)
			}
		})
	}
}

// TestLoadConfigSyncDefaults: a bare mode: sync deletes, guarded at 10%,
// and the defaults are filled into the declaration.
func TestLoadConfigSyncDefaults(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, syncJob(syncOpts{}))
	j := e.job("items")
	if j.Sync.Missing != "delete" || j.Sync.MaxMissing != "10%" || j.sync.missing != models.MissingDelete || j.sync.max.String() != "10%" {
		t.Errorf("defaults: %+v, %+v", j.Sync, j.sync)
	}
}
