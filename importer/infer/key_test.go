package infer_test

import (
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/infer"
)

// findKey guesses the columns of rows (the header first) and finds the
// key as sluice init does: one column, else a pair.
func findKey(t *testing.T, rows ...string) (infer.Key, []infer.Column) {
	t.Helper()
	header := strings.Split(rows[0], ",")
	g, err := infer.NewGuesser(header, importer.CellCheck)
	if err != nil {
		t.Fatal(err)
	}
	var records [][]string
	for _, r := range rows[1:] {
		records = append(records, strings.Split(r, ","))
		g.Add(records[len(records)-1])
	}
	cols := g.Columns()
	if k, ok := infer.SingleKey(cols, g.Rows()); ok {
		return k, cols
	}
	scan := infer.NewKeyScan(infer.PairCandidates(cols))
	for _, r := range records {
		scan.Add(r)
	}
	return infer.PairKey(cols, scan, g.Rows()), cols
}

func TestKey(t *testing.T) {
	tests := []struct {
		name string
		rows []string
		want string // the key's column names, "" for none
		note string
	}{
		{"the only unique column", []string{"name,n", "a,1", "b,1", "c,2"}, "name", "3 distinct of 3 rows: the key"},
		{"id preferred over an earlier unique column", []string{"name,id", "a,1", "b,2"}, "id", ""},
		{"sku preferred over a plain name", []string{"title,sku", "a,S1", "b,S2"}, "sku", ""},
		{"a code preferred over unique free text", []string{"name,cca2,cca3", "Austria,AT,AUT", "France,FR,FRA"}, "cca2", ""},
		{"customer_id preferred over name", []string{"name,customer_id", "a,1", "b,2"}, "customer_id", ""},
		{"case-insensitive repeats are no key", []string{"code,n", "AB,1", "ab,1"}, "", "no column, nor pair"},
		{"an empty cell rules a column out", []string{"id,name", "1,a", ",b", "3,c"}, "name", ""},
		{"a decimal is no key", []string{"price,name", "1.5,a", "2.5,a"}, "", "no column, nor pair"},
		{"a pair", []string{"warehouse,sku,qty", "AMS,S1,5", "AMS,S2,5", "LON,S1,5"}, "warehouse,sku", "no column is unique alone; warehouse and sku together"},
		{"a date in a pair", []string{"store,day,sales", "a,2024-01-01,5", "a,2024-01-02,5", "b,2024-01-01,6"}, "store,day", ""},
		{"a date is a key only beside another column", []string{"day,x", "2024-01-01,a", "2024-01-02,a"}, "day,x", "no column is unique alone"},
		{"text longer than a MySQL key is no key", []string{"body,n", strings.Repeat("x", 256) + ",1", "y,1"}, "", "no column, nor pair"},
		{"no key possible", []string{"a,b", "1,x", "1,x"}, "", "name the natural key yourself"},
		{"one-column file", []string{"email", "a@x", "b@x"}, "email", ""},
		{"one-column file with repeats", []string{"email", "a@x", "a@x"}, "", "no column, nor pair"},
		{"no rows", []string{"a,b"}, "", "no data rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, cols := findKey(t, tt.rows...)
			var names []string
			for _, c := range k.Columns {
				names = append(names, cols[c].Name)
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("key %q (%s), want %q", got, k.Note, tt.want)
			}
			if !strings.Contains(k.Note, tt.note) {
				t.Errorf("note %q does not say %q", k.Note, tt.note)
			}
		})
	}
}
