package dialect

import "strings"

// QuoteString renders s as a single-quoted SQL string literal, escaping backslashes and
// quotes, for the few values that cannot be bound as parameters (LOAD DATA's SET clause).
func QuoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}
