package appmodels

import "testing"

func TestClassName(t *testing.T) {
	t.Parallel()
	for table, want := range map[string]string{
		"socks":         "Sock",
		"stock_levels":  "StockLevel",
		"categories":    "Category",
		"addresses":     "Address",
		"boxes":         "Box",
		"matches":       "Match",
		"status":        "Status",
		"news":          "New",
		"gas":           "Gas",
		"ss":            "Ss",
		"StockLevels":   "StockLevel",
		"COMPANIES":     "COMPANY",
		"_private__x_":  "PrivateX",
		"__":            "Table",
		"none":          "None_",
		"true":          "True_",
		"s_q_l_alchemy": "SQLAlchemy_",
		"v2_orders":     "V2Order",
	} {
		if got := className(table); got != want {
			t.Errorf("className(%q) = %q, want %q", table, got, want)
		}
	}
}

func TestAttrName(t *testing.T) {
	t.Parallel()
	taken := map[string]bool{}
	for _, tc := range []struct{ name, want string }{
		{"sku", "sku"},
		{"class", "class_"},
		{"class_", "class_2"},
		{"db", "db_"},
		{"query", "query_"},
		{"metadata", "metadata_"},
		{"registry", "registry_"},
		{"__x", "col__x"},
		{"_sa_x", "col_sa_x"},
		{"_private", "_private"},
		{"type", "type"},
		{"None", "None_"},
	} {
		if got := attrName(tc.name, taken); got != tc.want {
			t.Errorf("attrName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSplitType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, head string
		args     []string
		err      bool
	}{
		{in: "TEXT", head: "TEXT"},
		{in: "DECIMAL(10,2)", head: "DECIMAL", args: []string{"10", "2"}},
		{in: "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin", head: "VARCHAR", args: []string{"255"}},
		{in: "TIMESTAMP WITH TIME ZONE", head: "TIMESTAMP WITH TIME ZONE"},
		{in: "DATETIME(6)", head: "DATETIME", args: []string{"6"}},
		{in: "NUMERIC(10", err: true},
		{in: "NUMERIC(a,2)", err: true},
	} {
		head, args, err := splitType(tc.in)
		if (err != nil) != tc.err || head != tc.head || len(args) != len(tc.args) || (len(args) > 0 && args[0] != tc.args[0]) {
			t.Errorf("splitType(%q) = %q, %q, %v; want %q, %q (error %v)", tc.in, head, args, err, tc.head, tc.args, tc.err)
		}
	}
}
