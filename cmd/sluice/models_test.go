package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestModelsCommand runs sluice models in-process: it reads the URL
// without connecting (the PostgreSQL URL points at a closed port), prints
// one class per job's table with the types sluice gives it there, and
// --job and --db-from narrow and change what it prints.
func TestModelsCommand(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	s.env["DATABASE_URL"] = "postgresql+psycopg2://app:hunter2pw@127.0.0.1:1/shop"
	tests := []struct {
		name      string
		args      []string
		lines     []string // lines stdout must have, in order
		absent    []string // lines it must not have
		firstLine string
	}{
		{
			name: "every job",
			args: []string{"models", "--config", "{config}"},
			lines: []string{
				"from flask_sqlalchemy import SQLAlchemy",
				"db = SQLAlchemy()",
				"class Sock(db.Model):",
				`    """Table socks, imported by sluice job socks; key (sku)."""`,
				`    __tablename__ = "socks"`,
				"    sku = db.Column(db.Text, primary_key=True, autoincrement=False)",
				"    name = db.Column(db.Text, nullable=False)",
				"    price = db.Column(db.Numeric(10, 2))  # decimal.Decimal",
				"    quantity = db.Column(db.BigInteger)",
				"class StockLevel(db.Model):",
				`    __tablename__ = "stock_levels"`,
				"    warehouse = db.Column(db.Text, primary_key=True, autoincrement=False)",
				"    sku = db.Column(db.Text, primary_key=True, autoincrement=False)",
				"    on_hand = db.Column(db.BigInteger)",
				`    "socks_sku_key",`,
				`    "stock_levels_warehouse_sku_key",`,
				"def include_object(object, name, type_, reflected, compare_to):",
			},
			firstLine: "# The tables sluice imports into, as it creates them on PostgreSQL.",
		},
		{
			name:   "one job",
			args:   []string{"models", "--config", "{config}", "--job", "stock"},
			lines:  []string{"class StockLevel(db.Model):", `    "stock_levels_warehouse_sku_key",`},
			absent: []string{"class Sock(db.Model):", `    "socks_sku_key",`},
		},
		{
			name:   "the app's db",
			args:   []string{"models", "--config", "{config}", "--db-from", "shop.extensions"},
			lines:  []string{"from shop.extensions import db", "class Sock(db.Model):"},
			absent: []string{"from flask_sqlalchemy import SQLAlchemy", "db = SQLAlchemy()"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := s.run(t, tt.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			got := strings.Split(stdout, "\n")
			if tt.firstLine != "" && got[0] != tt.firstLine {
				t.Errorf("first line %q, want %q", got[0], tt.firstLine)
			}
			i := 0
			for _, l := range got {
				if i < len(tt.lines) && l == tt.lines[i] {
					i++
				}
				for _, a := range tt.absent {
					if l == a {
						t.Errorf("stdout has %q:\n%s", a, stdout)
					}
				}
			}
			if i < len(tt.lines) {
				t.Errorf("stdout lacks %q (or has it out of order):\n%s", tt.lines[i], stdout)
			}
			if strings.Contains(stdout, "hunter2pw") {
				t.Errorf("stdout holds the password:\n%s", stdout)
			}
		})
	}
}

// TestModelsUsage: the usage mistakes of sluice models and its help.
func TestModelsUsage(t *testing.T) {
	t.Parallel()
	s := newDefaultSetup(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // exact, unless prefix is set
		prefix string
	}{
		{
			name: "--help", args: []string{"models", "--help"},
			prefix: "Usage: sluice models [--job NAME] [--db-from MODULE]\n\n",
		},
		{
			name: "unknown job", args: []string{"models", "--config", "{config}", "--job", "hats"}, code: 2,
			stderr: "sluice: " + s.config + ": no job named \"hats\" (jobs: socks, stock)\nTry: sluice models --job socks\n",
		},
		{
			name: "an argument", args: []string{"models", "--config", "{config}", "models.py"}, code: 2,
			stderr: "sluice: unexpected argument \"models.py\"\nTry: sluice models --help\n",
		},
		{
			name: "bad --db-from", args: []string{"models", "--config", "{config}", "--db-from", "app/extensions.py"}, code: 2,
			stderr: "sluice: --db-from \"app/extensions.py\" is not a Python module name\nTry: sluice models --db-from app.extensions\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := s.run(t, tt.args...)
			if code != tt.code || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit %d and nothing", code, stdout, tt.code)
			}
			if tt.prefix != "" {
				if !strings.HasPrefix(stderr, tt.prefix) || !strings.Contains(stderr, "\nExamples:\n"+modelsExamples) {
					t.Errorf("stderr:\n%s\nwant the usage line %q and the examples", stderr, tt.prefix)
				}
				return
			}
			if stderr != tt.stderr {
				t.Errorf("stderr:\n got %q\nwant %q", stderr, tt.stderr)
			}
		})
	}
}

// TestModelsReadme keeps README's models.py, for the shipped config.yaml
// on PostgreSQL, in step with what sluice models prints.
func TestModelsReadme(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- sluice models, config.yaml, PostgreSQL (kept in step by TestModelsReadme) -->\n```python\n"
	_, block, ok := strings.Cut(string(readme), marker)
	if !ok {
		t.Fatalf("README.md lacks %q", marker)
	}
	block, _, _ = strings.Cut(block, "```\n")
	var stdout, stderr bytes.Buffer
	lookup := func(name string) (string, bool) {
		return "postgresql://app:secret@db.internal/shop", name == "DATABASE_URL"
	}
	code := run(t.Context(), []string{"models", "--config", "../../config.yaml"}, &env{stdout: &stdout, stderr: &stderr, lookup: lookup})
	if code != 0 {
		t.Fatalf("sluice models: exit %d\n%s", code, &stderr)
	}
	if stdout.String() != block {
		t.Errorf("README.md's models.py differs from what sluice models prints:\n%s", &stdout)
	}
}
