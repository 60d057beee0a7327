package main

import (
	"context"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestCheckTellsTheTruth: sluice check exits 1, saying why, where an
// import would fail or change what the file says, on every database: a
// file whose header lacks a declared column, an app-owned NOT NULL column
// without a default that the job does not fill, a decimal column narrower
// in the table than the job lets through, a source that matches nothing.
// Columns no job column reads are said once, and fail nothing.
func TestCheckTellsTheTruth(t *testing.T) {
	t.Parallel()
	// {num} is each database's spelling of DECIMAL(6,2).
	num := map[string]string{"sqlite": "DECIMAL(6,2)", "postgres": "NUMERIC(6,2)", "mysql": "DECIMAL(6,2)"}
	tests := []struct {
		name  string
		files map[string]string // "": the default setup's files
		table string            // the socks table the app made; "" none
		code  int
		want  []string // lines of stdout, in order
		not   string   // a line that must not be there
	}{
		{
			name: "a header lacks a declared column",
			files: map[string]string{
				"data/socks-01.csv": "sku,name,price,quantity\nSK-1,a,1.00,1\n",
				"data/socks-02.csv": "sku,name,quantity,colour\nSK-1,a,1,red\n",
				"data/stock-01.csv": "warehouse,sku,on_hand\nW1,SK-1,3\n",
			},
			code: 1,
			want: []string{
				"job socks: 2 file(s) match ",
				`/data/socks-02.csv:1: header lacks declared column(s) "price" (the header has "sku", "name", "quantity", "colour")`,
				`job socks: CSV column "colour" in 1 of 2 file(s) is read by no column, and ignored`,
			},
		},
		{
			name:  "an app-owned NOT NULL column the job does not fill",
			table: `CREATE TABLE socks (sku VARCHAR(40) NOT NULL PRIMARY KEY, name TEXT, price {num}, quantity BIGINT, supplier VARCHAR(40) NOT NULL, note TEXT NOT NULL DEFAULT 'x')`,
			code:  1,
			want: []string{
				"job socks: table socks ok (6 columns, primary key (sku))",
				"job socks: table socks has NOT NULL column(s) supplier without a default, which the job does not fill: every new key would fail the file; declare them in the job, or give them a default",
			},
		},
		{
			name:  "a decimal narrower than declared",
			table: `CREATE TABLE socks (sku VARCHAR(40) NOT NULL PRIMARY KEY, name TEXT, price {num}, quantity BIGINT)`,
			code:  1,
			want: []string{
				"job socks: column price is DECIMAL(6,2) in table socks, but the job declares precision 10, scale 2: a value that does not fit would fail the file or be rounded; declare precision: 6, scale: 2 to reject it instead",
			},
		},
		{
			name:  "an id the database numbers itself",
			table: `CREATE TABLE socks (id {id}, sku VARCHAR(40) NOT NULL UNIQUE, name TEXT, price DECIMAL(10,2), quantity BIGINT)`,
			code:  0,
			want:  []string{"job socks: table socks ok (5 columns, unique key (sku))", "It works."},
			not:   "NOT NULL",
		},
		{
			name:  "nothing matches",
			files: map[string]string{"data/stock-01.csv": "warehouse,sku,on_hand\nW1,SK-1,3\n"},
			code:  1,
			want:  []string{"job socks: no file matches source.path ", "/data/socks-*.csv; fix source.path, or set source.allow_empty: true"},
		},
	}
	ids := map[string]string{"sqlite": "INTEGER PRIMARY KEY", "postgres": "BIGSERIAL PRIMARY KEY", "mysql": "BIGINT AUTO_INCREMENT PRIMARY KEY"}
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					if b.Name == "sqlite" && strings.Contains(tt.name, "decimal") {
						t.Skip("SQLite keeps no decimal precision: NUMERIC affinity stores any value")
					}
					s := newDefaultSetup(t)
					if tt.files != nil {
						s = newCLISetup(t, cliConfig, tt.files)
					}
					url := b.New(t)
					if b.Name == "sqlite" {
						url = "sqlite:///" + s.path("test.db")
					}
					if tt.table != "" {
						db, err := models.Open(context.Background(), url, s.dir)
						if err != nil {
							t.Fatal(err)
						}
						ddl := strings.NewReplacer("{num}", num[b.Name], "{id}", ids[b.Name]).Replace(tt.table)
						if _, err := db.Bun.ExecContext(context.Background(), ddl); err != nil {
							t.Fatalf("%s: %v", ddl, err)
						}
						db.Close()
					}
					s.env["DATABASE_URL"] = url
					code, stdout, stderr := s.run(t, "check", "--config", "{config}")
					if code != tt.code {
						t.Errorf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
					}
					rest := stdout
					for _, w := range tt.want {
						i := strings.Index(rest, w)
						if i < 0 {
							t.Fatalf("stdout lacks %q (after the earlier lines):\n%s", w, stdout)
						}
						rest = rest[i+len(w):]
					}
					if tt.not != "" && strings.Contains(stdout, tt.not) {
						t.Errorf("stdout has %q:\n%s", tt.not, stdout)
					}
				})
			}
		})
	}
}
