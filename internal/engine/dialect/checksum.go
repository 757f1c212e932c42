package dialect

import "strings"

// RowColumn is a column of a row that verification hashes.
type RowColumn struct {
	Name string
	// Free is true when the column's values may hold any character (strings, binary
	// strings, ENUM, SET, JSON, BIT): the row text records their lengths so that a value
	// holding the separator cannot shift into its neighbour. Numbers and temporal values
	// never hold it.
	Free bool
	// Bytes counts a Free column's length in bytes (LENGTH) rather than in characters
	// (CHAR_LENGTH, which reads the whole value in a multi-byte character set): right for
	// binary strings and for the utf8 family of character sets, whose bytes a conversion
	// within the family (utf8mb4 to utf8mb3 on a destination) keeps.
	Bytes bool
	// Nullable is true when the column may hold NULL on either server: the row text then
	// records whether it does. A column NOT NULL on both needs no flag.
	Nullable bool
	// Number is true when the column's value is compared as its number (x + 0): a BIT
	// column on a source whose destination stores the bits' number (BitsAsNumber), and
	// that number's column on the destination. Such a value is never Free.
	Number bool
}

// rowText is a row's columns as one string: the values joined by '#' (NULLs skipped), then
// one NULL flag per Nullable column ('1' for NULL), then the lengths of the Free columns
// that are not NULL, all but the last Free column's. The flags tell NULL from the empty
// string and, with the lengths, place every value: reading from the left up to the last
// Free column and from the right back to it, every value is either free of '#' or of known
// length, so the last Free column is what lies between. Two rows therefore have the same
// text only when every column holds the same value. It avoids QUOTE, which costs several
// times the rest of the hash, and leaves out the flags and lengths that the columns'
// definitions make unnecessary (a third of the hash's cost on sysbench's rows).
func rowText(cols []RowColumn) string {
	lastFree := -1
	for i, c := range cols {
		if c.Free {
			lastFree = i
		}
	}
	values := make([]string, len(cols))
	var nulls, lengths []string
	for i, c := range cols {
		q := QuoteIdent(c.Name)
		values[i] = q
		if c.Number {
			values[i] = "(" + q + " + 0)"
		}
		if c.Nullable {
			nulls = append(nulls, "ISNULL("+q+")")
		}
		switch {
		case !c.Free || i == lastFree:
		case c.Bytes:
			lengths = append(lengths, "LENGTH("+q+")")
		default:
			lengths = append(lengths, "CHAR_LENGTH("+q+")")
		}
	}
	parts := values
	if len(nulls) > 0 {
		parts = append(parts, "CONCAT("+strings.Join(nulls, ", ")+")")
	}
	if len(lengths) > 0 {
		parts = append(parts, "CONCAT_WS(',', "+strings.Join(lengths, ", ")+")")
	}
	return "CONCAT_WS('#', " + strings.Join(parts, ", ") + ")"
}

// rowHash is the per-row hash of a row text, compared row by row when a chunk differs.
func rowHash(row string) string { return "MD5(" + row + ")" }

// chunkChecksum is the query of a chunk's row count, the sum of CRC32 over its rows' texts
// and the sum of the squares of those CRC32s (a sum, unlike an XOR fold, does not let
// duplicated rows cancel out); from is the FROM clause with its WHERE. The LIMIT keeps the
// server from merging the derived table into the outer query, which would compute each
// row's text and hash once per sum.
func chunkChecksum(row, from string) string {
	return "SELECT COUNT(*), COALESCE(SUM(h), 0), COALESCE(SUM(h * h), 0) FROM (SELECT CRC32(" +
		row + ") AS h FROM " + from + " LIMIT 18446744073709551615) AS t"
}
