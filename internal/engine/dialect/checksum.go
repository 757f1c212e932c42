package dialect

import "strings"

// rowText is a row's columns as SQL literals (QUOTE: strings quoted and escaped, NULL
// bare), comma-separated: two rows have the same text only when every column holds the
// same value.
func rowText(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "QUOTE(" + QuoteIdent(c) + ")"
	}
	return "CONCAT_WS(',', " + strings.Join(parts, ", ") + ")"
}

// rowHash is the per-row hash of a row text, compared row by row when a chunk differs.
func rowHash(row string) string { return "MD5(" + row + ")" }

// chunkChecksum is the query of a chunk's row count and two sums of CRC32 over its rows'
// texts (a sum, unlike an XOR fold, does not let duplicated rows cancel out); from is the
// FROM clause with its WHERE.
func chunkChecksum(row, from string) string {
	return "SELECT COUNT(*), COALESCE(SUM(CRC32(r)), 0), COALESCE(SUM(CRC32(CONCAT(r, '#'))), 0) FROM (SELECT " +
		row + " AS r FROM " + from + ") AS t"
}
