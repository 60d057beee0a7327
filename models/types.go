package models

import (
	"fmt"
	"strings"
)

// Type is the logical type of a dataset column, as config.yaml names it.
// Each dialect maps it to its own SQL type; the importer maps each CSV cell
// to the Go value documented on the constant.
type Type string

// The column types. The comment on each names the Go value a converted cell
// holds (nil is NULL for every type).
const (
	Text      Type = "text"      // string, valid UTF-8
	Integer   Type = "integer"   // int64
	Real      Type = "real"      // float64, finite
	Decimal   Type = "decimal"   // string in canonical plain form ("-12.50"); never a float
	Boolean   Type = "boolean"   // bool
	Date      Type = "date"      // time.Time at 00:00 UTC
	Timestamp Type = "timestamp" // time.Time in UTC
)

// Types lists every valid Type in documentation order.
var Types = []Type{Text, Integer, Real, Decimal, Boolean, Date, Timestamp}

// ParseType returns the Type named s (case-insensitive); an empty s is Text.
func ParseType(s string) (Type, error) {
	if s == "" {
		return Text, nil
	}
	t := Type(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range Types {
		if v == t {
			return t, nil
		}
	}
	names := make([]string, len(Types))
	for i, v := range Types {
		names[i] = string(v)
	}
	return "", fmt.Errorf("unknown type %q (want one of %s)", s, strings.Join(names, ", "))
}
