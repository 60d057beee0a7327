package importer

import "github.com/sluice-dev/sluice/models"

// slowDriverRows is the file size, in rows, from which the pure-Go SQLite
// driver's cost is worth a word: about 9 s a million rows where the cgo
// driver takes 5 (BENCHMARKS.md).
const slowDriverRows = 200_000

// noticeSlowDriver tells, once per Importer, after a large import into
// SQLite by a binary built without cgo, how to build the faster one. A
// binary built with cgo, as `go build` does where a C compiler is found,
// has the cgo driver already.
func (im *Importer) noticeSlowDriver(res Result) {
	if res.Rows < slowDriverRows || im.db.Dialect.Name() != "sqlite" || !models.SQLitePureGo() {
		return
	}
	im.slowNotice.Do(func() {
		im.log.Warn("this sluice was built without cgo: its pure-Go SQLite driver imports large files about 1.5-2x slower than the cgo one; build it with CGO_ENABLED=1 and a C compiler (apt-get install gcc) for that",
			"driver", models.SQLiteDriver(), "rows", res.Rows, "duration", res.Duration.Round(1e6))
	})
}
