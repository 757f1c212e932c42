// Package sqltext scans MySQL SQL text — string literals, backtick identifiers,
// parentheses — as SHOW CREATE TABLE prints it on MySQL, MariaDB and AnalyticDB for MySQL.
//
// It knows 'strings' and "strings" with backslash escapes and doubled quotes, `identifiers`
// with doubled backticks, and /* comments */ (including the versioned /*!50100 ... */
// form). It assumes the default SQL mode: under NO_BACKSLASH_ESCAPES a string ending in a
// backslash would be misread.
package sqltext

import "strings"

// SkipAtom returns the index just past the quoted string, quoted identifier or comment that
// starts at s[i], or i+1 when s[i] starts none of them. An unterminated atom runs to the end
// of s.
func SkipAtom(s string, i int) int {
	switch q := s[i]; q {
	case '\'', '"', '`':
		for j := i + 1; j < len(s); j++ {
			if s[j] == '\\' && q != '`' {
				j++
				continue
			}
			if s[j] == q {
				if j+1 < len(s) && s[j+1] == q {
					j++
					continue
				}
				return j + 1
			}
		}
		return len(s)
	case '/':
		if i+1 < len(s) && s[i+1] == '*' {
			if e := strings.Index(s[i+2:], "*/"); e >= 0 {
				return i + 2 + e + 2
			}
			return len(s)
		}
	}
	return i + 1
}

// MatchParen returns the index of the parenthesis closing the one at s[open], or -1.
// Parentheses inside strings, quoted identifiers and comments do not count.
func MatchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i = SkipAtom(s, i) {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// SplitTopLevel splits s at the commas that are outside parentheses, strings, quoted
// identifiers and comments. The parts are trimmed of surrounding space; s without such a
// comma gives one part.
func SplitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i = SkipAtom(s, i) {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

// UnquoteIdent returns the name inside a backtick-quoted identifier q, which must be at
// least two bytes long (the quotes).
func UnquoteIdent(q string) string {
	return strings.ReplaceAll(q[1:len(q)-1], "``", "`")
}

// QuotedIdent reports whether s[i] starts a terminated backtick-quoted identifier and, if
// so, returns its name. end is SkipAtom(s, i) in every case.
func QuotedIdent(s string, i int) (name string, end int, ok bool) {
	end = SkipAtom(s, i)
	if s[i] != '`' || end-i < 2 || s[end-1] != '`' {
		return "", end, false
	}
	return UnquoteIdent(s[i:end]), end, true
}

// IsWordByte reports whether c can be part of an unquoted MySQL identifier or keyword:
// an ASCII letter or digit, '_', '$', or a byte of a multi-byte UTF-8 character.
func IsWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
