package models

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// mysqlCharsets are the single-byte character sets MySQL names, as
// golang.org/x/text encodes them. MySQL's latin1 is Windows-1252.
var mysqlCharsets = map[string]*charmap.Charmap{
	"latin1": charmap.Windows1252, "latin2": charmap.ISO8859_2, "latin5": charmap.ISO8859_9, "latin7": charmap.ISO8859_13,
	"cp1250": charmap.Windows1250, "cp1251": charmap.Windows1251, "cp1256": charmap.Windows1256, "cp1257": charmap.Windows1257,
	"greek": charmap.ISO8859_7, "hebrew": charmap.ISO8859_8, "koi8r": charmap.KOI8R, "koi8u": charmap.KOI8U,
	"cp850": charmap.CodePage850, "cp852": charmap.CodePage852, "cp866": charmap.CodePage866,
}

// charsetFits says why text x cannot be stored in a column of MySQL
// character set cs, naming the first character it cannot; nil if it can,
// or if cs is one sluice does not know (the server then decides).
func charsetFits(cs, x string) error {
	if isASCII(x) {
		return nil
	}
	switch cs {
	case "", "utf8mb4", "utf16", "utf16le", "utf32", "binary":
		return nil
	case "ascii":
		return charsetError(cs, x, func(r rune) bool { return r < utf8.RuneSelf })
	case "utf8", "utf8mb3", "ucs2":
		// Three bytes at most: nothing past the Basic Multilingual Plane.
		return charsetError(cs, x, func(r rune) bool { return r <= 0xFFFF })
	}
	cm, ok := mysqlCharsets[cs]
	if !ok {
		return nil
	}
	return charsetError(cs, x, func(r rune) bool { _, ok := cm.EncodeRune(r); return ok })
}

func charsetError(cs, x string, fits func(rune) bool) error {
	for _, r := range x {
		if !fits(r) {
			return fmt.Errorf("the column's charset %s cannot store %q (U+%04X); convert the column to utf8mb4 (ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4)", cs, string(r), r)
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
