package infer_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/infer"
)

// TestInferFile infers whole files of testdata/ as sluice init does.
func TestInferFile(t *testing.T) {
	tests := []struct {
		file      string
		delimiter rune
		encoding  string
		bom       bool
		ragged    bool
		key       string
		// columns is each column as "name:type[:format]" (_ for a space in
		// the format), "!" after the
		// name when required.
		columns string
	}{
		{"zips.csv", ',', "utf-8", false, false, "zip_code",
			"zip_code!:text latitude!:decimal population!:integer city!:text founded!:date:02/01/2006 last_census:timestamp:02/01/2006_15:04 active!:boolean"},
		{"latin1.csv", ';', "windows-1252", false, false, "reference",
			"reference!:text libelle!:text prix!:decimal quantite!:integer"},
		{"utf16.csv", '\t', "utf-16", true, false, "id", "id!:integer name!:text score!:decimal"},
		{"bom.csv", '|', "utf-8", true, false, "sku", "sku!:text colour!:text in_stock!:boolean updated!:date:Jan_2_2006"},
		{"ragged.csv", ',', "utf-8", false, true, "warehouse,sku", "warehouse!:text sku!:text on_hand!:integer note:text"},
		{"nokey.csv", ',', "utf-8", false, false, "", "colour!:text size!:text"},
		{"emails.csv", ',', "utf-8", false, false, "email", "email!:text"},
		// distro-info-data's list of Debian releases, as Debian ships it.
		{"debian.csv", ',', "utf-8", false, true, "codename",
			"version:decimal codename!:text series!:text created!:date:2006-01-02 release:date:2006-01-02 eol_elts:date:2006-01-02"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := importer.InferFile(t.Context(), filepath.Join("testdata", tt.file), importer.InferOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Delimiter != tt.delimiter || res.Encoding.Name != tt.encoding || res.Encoding.BOM != tt.bom || res.Ragged != tt.ragged {
				t.Errorf("delimiter %q encoding %+v ragged %v; want %q %s bom %v ragged %v", res.Delimiter, res.Encoding, res.Ragged, tt.delimiter, tt.encoding, tt.bom, tt.ragged)
			}
			if got := keyNames(res); got != tt.key {
				t.Errorf("key %q (%s), want %q", got, res.Key.Note, tt.key)
			}
			byName := map[string]infer.Column{}
			for _, c := range res.Columns {
				byName[c.Name] = c
			}
			for _, want := range strings.Split(tt.columns, " ") {
				name, rest, _ := strings.Cut(want, ":")
				typ, format, _ := strings.Cut(rest, ":")
				format = strings.ReplaceAll(format, "_", " ")
				required := strings.HasSuffix(name, "!")
				name = strings.TrimSuffix(name, "!")
				c, ok := byName[name]
				if !ok {
					t.Errorf("no column %s in %v", name, byName)
					continue
				}
				if string(c.Type) != typ || c.Format != format || c.Required != required {
					t.Errorf("column %s: %s %q required %v (%s); want %s %q %v", name, c.Type, c.Format, c.Required, c.Note, typ, format, required)
				}
			}
		})
	}
}

func keyNames(res *infer.Result) string {
	var names []string
	for _, k := range res.Key.Columns {
		names = append(names, res.Columns[k].Name)
	}
	return strings.Join(names, ",")
}

// TestInferFileGzip reads a compressed dump as the import does.
func TestInferFileGzip(t *testing.T) {
	plain, err := os.ReadFile(filepath.Join("testdata", "zips.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(plain)
	zw.Close()
	path := filepath.Join(t.TempDir(), "zips.csv.gz")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := importer.InferFile(t.Context(), path, importer.InferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 5 || keyNames(res) != "zip_code" || res.Columns[0].Type != "text" {
		t.Errorf("rows %d key %s first column %+v", res.Rows, keyNames(res), res.Columns[0])
	}
}

// TestInferFileOptions: --key is checked, not searched; --max-rows
// samples and says so; rows no declaration imports are named.
func TestInferFileOptions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stock := write("stock.csv", "warehouse,sku,qty\nAMS,S1,1\nAMS,S2,1\nLON,S1,2\n")
	res, err := importer.InferFile(t.Context(), stock, importer.InferOptions{Key: []string{"Warehouse", "sku"}})
	if err != nil || keyNames(res) != "warehouse,sku" || !strings.Contains(res.Key.Note, "given with --key: unique") {
		t.Errorf("--key warehouse,sku: %v %s %q", err, keyNames(res), res.Key.Note)
	}
	res, err = importer.InferFile(t.Context(), stock, importer.InferOptions{Key: []string{"warehouse"}})
	if err != nil || keyNames(res) != "warehouse" || !strings.Contains(res.Key.Note, "NOT unique") {
		t.Errorf("--key warehouse: %v %s %q", err, keyNames(res), res.Key.Note)
	}
	if _, err = importer.InferFile(t.Context(), stock, importer.InferOptions{Key: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "--key nope: no such column") {
		t.Errorf("--key nope: %v", err)
	}

	res, err = importer.InferFile(t.Context(), stock, importer.InferOptions{MaxRows: 2})
	if err != nil || !res.Sampled || res.Rows != 2 || keyNames(res) != "sku" {
		t.Errorf("--max-rows 2: %v sampled %v rows %d key %s", err, res.Sampled, res.Rows, keyNames(res))
	}
	if w := strings.Join(res.Warnings(), "\n"); !strings.Contains(w, "only the first 2 rows were read") {
		t.Errorf("warnings %q", w)
	}

	bad := write("bad.csv", "a,b\n1,2\n3,4,5\n6,7\n")
	res, err = importer.InferFile(t.Context(), bad, importer.InferOptions{})
	var ie *importer.InferError
	if !errors.As(err, &ie) || ie.N != 1 || !strings.Contains(err.Error(), "line 3: has 3 fields, the header has 2") || res.Rows != 2 {
		t.Errorf("a long row: %v", err)
	}
}
