package adbfront

import "strings"

// token is one lexical token of a statement. The front reads statements as
// tokens, not as a grammar: enough to find keywords and clauses outside
// strings, comments and parentheses, and to cut them out by position.
type token struct {
	text  string // as written; strings and quoted names keep their quotes
	pos   int    // byte offset of the token in the statement
	end   int    // byte offset just past the token
	depth int    // parenthesis depth; "(" and its ")" carry the outer depth
}

// is reports whether t is the keyword or punctuation word, ignoring case.
func (t token) is(word string) bool { return strings.EqualFold(t.text, word) }

// isString reports whether t is a quoted string literal.
func (t token) isString() bool {
	return len(t.text) >= 2 && (t.text[0] == '\'' || t.text[0] == '"')
}

// name returns an identifier without its backquotes.
func (t token) name() string {
	if len(t.text) >= 2 && t.text[0] == '`' {
		return strings.ReplaceAll(t.text[1:len(t.text)-1], "``", "`")
	}
	return t.text
}

// tokenize splits sql into tokens, skipping white space and comments
// (including /*! ... */ version comments, which the front does not run).
func tokenize(sql string) []token {
	var toks []token
	depth := 0
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '#' || (c == '-' && strings.HasPrefix(sql[i:], "-- ")):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				i = len(sql)
			} else {
				i += 2 + j + 2
			}
		case c == '\'' || c == '"' || c == '`':
			j := quotedEnd(sql, i)
			toks = append(toks, token{text: sql[i:j], pos: i, end: j, depth: depth})
			i = j
		case isWordByte(c):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			toks = append(toks, token{text: sql[i:j], pos: i, end: j, depth: depth})
			i = j
		default:
			if c == ')' && depth > 0 {
				depth--
			}
			toks = append(toks, token{text: sql[i : i+1], pos: i, end: i + 1, depth: depth})
			if c == '(' {
				depth++
			}
			i++
		}
	}
	return toks
}

// quotedEnd returns the offset just past the quoted token starting at i.
// Backslash escapes count in strings, not in backquoted names; a doubled
// quote is a quote.
func quotedEnd(sql string, i int) int {
	q := sql[i]
	for j := i + 1; j < len(sql); j++ {
		switch {
		case sql[j] == '\\' && q != '`':
			j++
		case sql[j] == q:
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c == '@' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// closing returns the index of the ")" that closes the "(" at toks[i], or -1.
func closing(toks []token, i int) int {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].depth == toks[i].depth && toks[j].text == ")" {
			return j
		}
	}
	return -1
}

// tableName reads a table name (name or schema.name) at toks[i] and returns
// it and the index after it, or ok=false.
func tableName(toks []token, i int) (ref tableRef, next int, ok bool) {
	if i >= len(toks) || !isIdent(toks[i]) {
		return ref, i, false
	}
	if i+2 < len(toks) && toks[i+1].text == "." && isIdent(toks[i+2]) {
		return tableRef{Schema: toks[i].name(), Table: toks[i+2].name()}, i + 3, true
	}
	return tableRef{Table: toks[i].name()}, i + 1, true
}

func isIdent(t token) bool {
	return t.text != "" && (t.text[0] == '`' || isWordByte(t.text[0]))
}
