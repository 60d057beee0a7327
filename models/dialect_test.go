package models_test

import (
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
	"github.com/sluice-dev/sluice/models/dialecttest"
)

// TestDialects runs the conformance suite on every database.
func TestDialects(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			dialecttest.Exercise(t.Context(), t, b.New)
		})
	}
}
