package dialect

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Load describes rows written in bulk into one destination table: by the destination's bulk
// load from a client-side stream (BulkLoad), or by multi-row INSERT (Insert).
type Load struct {
	Database, Table string
	Columns         []LoadColumn
	// Constant, when Name is set, is a column every row gets the same string value in
	// (merge_tables' source column).
	Constant struct{ Name, Value string }
	// Ignore keeps the rows already on the destination whose key a written row repeats,
	// instead of failing (conflict_handling = ignore_errors_and_proceed).
	Ignore bool
	// Replace replaces the rows already on the destination whose key a written row
	// repeats: writing the same rows twice leaves what writing them once does (the direct
	// writes of a destination without transactions). Ignore wins over it.
	Replace bool
}

// LoadColumn is one destination column of a Load and how its values travel in the stream.
type LoadColumn struct {
	Name string
	Kind LoadKind
}

// LoadKind says how a value travels in a bulk-load stream.
type LoadKind int

const (
	// LoadText values are text in the connection's character set (utf8mb4).
	LoadText LoadKind = iota
	// LoadHex values are binary strings written as hex, so no byte goes through a character
	// set conversion.
	LoadHex
	// LoadNumber values are unsigned decimal numbers assigned as numbers (ENUM index, SET
	// bitmask, YEAR).
	LoadNumber
)

// loadData renders the bulk load of the MySQL family (AnalyticDB accepts the same): the
// stream named reader, registered with the driver, holds one row a line in the format of
// AppendLoadField, fields separated by tabs.
func loadData(l Load, reader string) string {
	var b strings.Builder
	b.WriteString("LOAD DATA LOCAL INFILE 'Reader::" + reader + "' ")
	switch {
	case l.Ignore:
		b.WriteString("IGNORE ")
	case l.Replace:
		b.WriteString("REPLACE ")
	}
	b.WriteString("INTO TABLE " + QuoteTable(l.Database, l.Table) +
		" CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (")
	var sets []string
	for i, c := range l.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		v := fmt.Sprintf("@v%d", i)
		switch c.Kind {
		case LoadHex:
			b.WriteString(v)
			sets = append(sets, QuoteIdent(c.Name)+" = UNHEX("+v+")")
		case LoadNumber:
			b.WriteString(v)
			sets = append(sets, QuoteIdent(c.Name)+" = CAST("+v+" AS UNSIGNED)")
		default:
			b.WriteString(QuoteIdent(c.Name))
		}
	}
	b.WriteString(")")
	if l.Constant.Name != "" {
		sets = append(sets, QuoteIdent(l.Constant.Name)+" = "+QuoteString(l.Constant.Value))
	}
	if len(sets) > 0 {
		b.WriteString(" SET " + strings.Join(sets, ", "))
	}
	return b.String()
}

// insertRows renders a multi-row INSERT of rows rows of l's columns, one placeholder per
// value; the values are sent as statement arguments (numbers for LoadNumber, bytes for
// LoadHex, strings otherwise).
func insertRows(l Load, rows int) string {
	names := make([]string, len(l.Columns))
	for i, c := range l.Columns {
		names[i] = c.Name
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")
	if l.Constant.Name != "" {
		names = append(names, l.Constant.Name)
		marks += "," + QuoteString(l.Constant.Value)
	}
	verb := "INSERT "
	switch {
	case l.Ignore:
		verb = "INSERT IGNORE "
	case l.Replace:
		verb = "REPLACE "
	}
	return verb + "INTO " + QuoteTable(l.Database, l.Table) + " (" + QuoteIdents(names) + ") VALUES " +
		strings.TrimSuffix(strings.Repeat("("+marks+"),", rows), ",")
}

// AppendLoadField appends one value in the bulk-load stream's escaped format: NULL (nil)
// as \N, LoadHex values as hex, and in text the escape character, field and line
// terminators and NUL escaped. Text is copied in runs between the bytes it escapes: a
// byte-by-byte append was the runner's largest cost in a full load.
func AppendLoadField(dst, v []byte, kind LoadKind) []byte {
	if v == nil {
		return append(dst, '\\', 'N')
	}
	if kind == LoadHex {
		return hex.AppendEncode(dst, v)
	}
	start := 0
	for i, c := range v {
		if e := loadEscapes[c]; e != 0 {
			dst = append(dst, v[start:i]...)
			dst = append(dst, '\\', e)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}

// loadEscapes maps each byte the stream escapes to the letter after its backslash.
var loadEscapes = [256]byte{'\\': '\\', '\t': 't', '\n': 'n', '\r': 'r', 0: '0'}

// AppendLoadNull appends the stream's NULL.
func AppendLoadNull(dst []byte) []byte { return append(dst, '\\', 'N') }
