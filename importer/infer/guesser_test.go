package infer_test

import (
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/infer"
	"github.com/sluice-dev/sluice/models"
)

// guess runs the cells of one column through a guesser.
func guess(t *testing.T, cells ...string) infer.Column {
	t.Helper()
	g, err := infer.NewGuesser([]string{"col"}, importer.CellCheck)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		g.Add([]string{c})
	}
	return g.Columns()[0]
}

func TestGuessTypes(t *testing.T) {
	tests := []struct {
		name  string
		cells []string
		typ   models.Type
		// format, precision and scale, required, and a part of the note.
		format           string
		precision, scale int
		required         bool
		note             string
	}{
		{name: "integer", cells: []string{"1", "-20", " 300 ", "+4"}, typ: models.Integer, required: true},
		{name: "integer with empty", cells: []string{"1", "", "3"}, typ: models.Integer},
		{name: "integer with blank", cells: []string{"1", "  ", "3"}, typ: models.Integer},
		{name: "zeros and ones", cells: []string{"0", "1", "1"}, typ: models.Integer, required: true},
		{name: "leading zeros", cells: []string{"12345", "00501", "90210"}, typ: models.Text, required: true, note: `leading zeros ("00501")`},
		{name: "negative leading zero", cells: []string{"-05", "7"}, typ: models.Text, required: true, note: "leading zeros"},
		{name: "zero point five is no leading zero", cells: []string{"0.5", "12.25"}, typ: models.Decimal, precision: 6, scale: 2, required: true},
		{name: "decimal", cells: []string{"1.5", "20.25", "3", "-400.1"}, typ: models.Decimal, precision: 7, scale: 2, required: true, note: "up to 3 digits before the point and 2 after"},
		{name: "decimal trailing zeros count", cells: []string{"1.50", "2.00"}, typ: models.Decimal, precision: 5, scale: 2, required: true},
		{name: "integer beyond 64 bits", cells: []string{"99999999999999999999", "1"}, typ: models.Decimal, precision: 22, scale: 0, required: true},
		{name: "real", cells: []string{"1e5", "2.5E-3", "7"}, typ: models.Real, required: true},
		{name: "boolean words", cells: []string{"true", "false", "yes", "N"}, typ: models.Boolean, required: true},
		{name: "boolean mixed with 0 and 1", cells: []string{"1", "true", "0"}, typ: models.Boolean, required: true},
		{name: "date ISO", cells: []string{"2024-03-14", "2023-12-31"}, typ: models.Date, format: "2006-01-02", required: true},
		{name: "date slashes ISO", cells: []string{"2024/03/14"}, typ: models.Date, format: "2006/01/02", required: true},
		{name: "day/month by the data", cells: []string{"01/02/2024", "13/02/2024"}, typ: models.Date, format: "02/01/2006", required: true, note: "day above 12 comes first"},
		{name: "month/day by the data", cells: []string{"01/02/2024", "02/13/2024"}, typ: models.Date, format: "01/02/2006", required: true, note: "day above 12 comes second"},
		{name: "day/month ambiguous", cells: []string{"01/02/2024", "03/04/2024"}, typ: models.Date, format: "02/01/2006", required: true, note: "AMBIGUOUS"},
		{name: "day/month unpadded", cells: []string{"1/2/2024", "13/2/2024", "05/11/2024"}, typ: models.Date, format: "2/1/2006", required: true},
		{name: "month/day unpadded", cells: []string{"1/2/2024", "2/13/2024"}, typ: models.Date, format: "1/2/2006", required: true},
		{name: "dotted day/month", cells: []string{"14.03.2024", "01.02.2024"}, typ: models.Date, format: "02.01.2006", required: true},
		{name: "month name", cells: []string{"Mar 14 2024", "Jan 2 2006"}, typ: models.Date, format: "Jan 2 2006", required: true},
		{name: "month name with comma", cells: []string{"Mar 14, 2024"}, typ: models.Date, format: "Jan 2, 2006", required: true},
		{name: "day month name", cells: []string{"14-Mar-2024"}, typ: models.Date, format: "02-Jan-2006", required: true},
		{name: "timestamp RFC 3339", cells: []string{"2024-03-14T15:09:26Z", "2024-03-14T15:09:26.5+02:00"}, typ: models.Timestamp, required: true, note: "RFC 3339"},
		{name: "timestamp space", cells: []string{"2024-03-14 15:09:26", "2024-03-14 15:09:26.123456"}, typ: models.Timestamp, format: "2006-01-02 15:04:05", required: true},
		{name: "timestamp slashes", cells: []string{"2024/03/14 15:09:26"}, typ: models.Timestamp, format: "2006/01/02 15:04:05", required: true},
		{name: "timestamp minutes day/month", cells: []string{"14/03/2024 15:09"}, typ: models.Timestamp, format: "02/01/2006 15:04", required: true},
		{name: "timestamp without seconds, T", cells: []string{"2024-03-14T15:09"}, typ: models.Timestamp, format: "2006-01-02T15:04", required: true},
		{name: "dates and timestamps mixed", cells: []string{"2024-03-14", "2024-03-14 15:09:26"}, typ: models.Text, required: true},
		{name: "mixed numbers and words", cells: []string{"12", "abc"}, typ: models.Text, required: true, note: `mixed values ("12", "abc")`},
		{name: "decimal commas", cells: []string{"1,50", "12,25"}, typ: models.Text, required: true, note: `decimal commas ("1,50")`},
		{name: "thousands separators are not decimal commas", cells: []string{"1,500", "12"}, typ: models.Text, required: true, note: `mixed values ("12", "1,500")`},
		{name: "text", cells: []string{"red", "green"}, typ: models.Text, required: true},
		{name: "text keeps a blank cell", cells: []string{"red", "  "}, typ: models.Text, required: true},
		{name: "text with an empty cell", cells: []string{"red", ""}, typ: models.Text},
		{name: "always empty", cells: []string{"", "", ""}, typ: models.Text, note: "always empty"},
		{name: "no rows", typ: models.Text, note: "always empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := guess(t, tt.cells...)
			if c.Type != tt.typ || c.Format != tt.format || c.Required != tt.required {
				t.Errorf("got type %s format %q required %v (%s); want %s %q %v", c.Type, c.Format, c.Required, c.Note, tt.typ, tt.format, tt.required)
			}
			if tt.typ == models.Decimal && (c.Precision != tt.precision || c.Scale != tt.scale) {
				t.Errorf("got decimal(%d,%d); want (%d,%d)", c.Precision, c.Scale, tt.precision, tt.scale)
			}
			if !strings.Contains(c.Note, tt.note) {
				t.Errorf("note %q does not say %q", c.Note, tt.note)
			}
			// What the guess says, the converter reads: every cell.
			conv, err := importer.NewConverter(importer.ColumnConfig{Name: "col", Type: string(c.Type), Format: c.Format,
				Precision: intPtr(c.Precision, c.Type), Scale: intPtr(c.Scale, c.Type), Required: c.Required}, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, cell := range tt.cells {
				if _, err := conv.Convert(cell); err != nil {
					t.Errorf("the guess rejects %q: %v", cell, err)
				}
			}
		})
	}
}

func intPtr(v int, t models.Type) *int {
	if t != models.Decimal {
		return nil
	}
	return &v
}

func TestColumnName(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Zip Code", "zip_code"},
		{"zip_code", "zip_code"},
		{"  Unit Price (€) ", "unit_price"},
		{"Crème brûlée", "creme_brulee"},
		{"eol-server", "eol_server"},
		{"2024 total", "c_2024_total"},
		{"???", "column"},
		{"名前", "column"},
		{"CustomerID", "customerid"},
		{strings.Repeat("long ", 20), strings.TrimRight(strings.Repeat("long_", 12), "_")[:56]},
	}
	for _, tt := range tests {
		if got := infer.ColumnName(tt.header); got != tt.want {
			t.Errorf("ColumnName(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestColumnNamesUnique(t *testing.T) {
	g, err := infer.NewGuesser([]string{"Size", "size!", "SIZE"}, importer.CellCheck)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range g.Columns() {
		got = append(got, c.Name)
	}
	if strings.Join(got, ",") != "size,size_2,size_3" {
		t.Errorf("names %v, want size, size_2, size_3", got)
	}
}
