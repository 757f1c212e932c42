package dialect

import (
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// This file holds the little lexing the dialects need on SQL text copied from a source's
// SHOW CREATE TABLE: index key parts, table options and identifier renames. The scanning of
// strings, quoted identifiers, comments and parentheses is package sqltext's.

// RenameIdents returns text with every backtick-quoted identifier that is a key of names
// replaced by the quoted value, leaving strings and comments alone. Keys match exactly
// first, then case-insensitively (MySQL column names are case-insensitive). Use it on the
// expressions that name columns, such as a generated column's definition or a CHECK
// constraint's Raw text, when columns are renamed.
func RenameIdents(text string, names map[string]string) string {
	if len(names) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		name, end, quoted := sqltext.QuotedIdent(text, i)
		if quoted {
			if to, ok := lookupFold(names, name); ok {
				b.WriteString(text[last:i])
				b.WriteString(QuoteIdent(to))
				last = end
			}
		}
		i = end
	}
	b.WriteString(text[last:])
	return b.String()
}

func lookupFold(names map[string]string, name string) (string, bool) {
	if v, ok := names[name]; ok {
		return v, true
	}
	for k, v := range names {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Option is one table option of a CREATE TABLE, as SplitOptions found it.
type Option struct {
	// Name is the option's keyword(s) in upper case, single-spaced: "ENGINE",
	// "DEFAULT CHARSET", "COMMENT", "DISTRIBUTED BY", "PARTITION BY", "LIFECYCLE",
	// "WITH SYSTEM VERSIONING", ... For a /* comment */ it is "/*".
	Name string
	// Value is the text of the value as written (quotes kept), "" for a flag. For
	// "DISTRIBUTED BY" it is "HASH(...)" or "BROADCAST"; for "PARTITION BY" everything
	// after BY.
	Value string
	// Raw is the option exactly as it appears in the source text.
	Raw string
}

// multiWordOptions are the option names of more than one word that SHOW CREATE TABLE prints
// on MySQL, MariaDB and AnalyticDB, longest first.
var multiWordOptions = [][]string{
	{"DEFAULT", "CHARACTER", "SET"},
	{"WITH", "SYSTEM", "VERSIONING"},
	{"DEFAULT", "CHARSET"},
	{"DEFAULT", "COLLATE"},
	{"CHARACTER", "SET"},
	{"DISTRIBUTED", "BY"},
	{"DISTRIBUTE", "BY"},
	{"PARTITION", "BY"},
}

// optToken is one token of a table options text: a bare word, an atom (quoted string,
// quoted identifier, comment), a parenthesized group, or one punctuation byte.
type optToken struct {
	start, end int
	kind       byte // 'w' word, 'a' atom, '(' group, or the punctuation byte itself
}

func optTokens(s string) ([]optToken, error) {
	var toks []optToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, optToken{i, j, 'w'})
			i = j
		case c == '\'' || c == '"' || c == '`' || (c == '/' && i+1 < len(s) && s[i+1] == '*'):
			j := sqltext.SkipAtom(s, i)
			toks = append(toks, optToken{i, j, 'a'})
			i = j
		case c == '(':
			j := sqltext.MatchParen(s, i)
			if j < 0 {
				return nil, fmt.Errorf("unbalanced parenthesis in %q", s[i:])
			}
			toks = append(toks, optToken{i, j + 1, '('})
			i = j + 1
		default:
			toks = append(toks, optToken{i, i + 1, c})
			i++
		}
	}
	return toks, nil
}

// isWordByte is sqltext.IsWordByte that also takes '.', so that a dotted value stays one
// word of a table options text.
func isWordByte(c byte) bool {
	return c == '.' || sqltext.IsWordByte(c)
}

// SplitOptions splits the table options that follow the column list of a CREATE TABLE
// (MySQL, MariaDB or AnalyticDB) into options, in order. A PARTITION BY other than
// AnalyticDB's PARTITION BY VALUE(...) (MySQL and MariaDB partitioning, printed last) takes
// the rest of the text. It fails on text that is not a sequence of options.
func SplitOptions(s string) ([]Option, error) {
	toks, err := optTokens(s)
	if err != nil {
		return nil, err
	}
	text := func(t optToken) string { return s[t.start:t.end] }
	upper := func(k int) string {
		if k < len(toks) && toks[k].kind == 'w' {
			return strings.ToUpper(text(toks[k]))
		}
		return ""
	}
	var opts []Option
	for k := 0; k < len(toks); {
		t := toks[k]
		if t.kind == ',' { // MySQL accepts commas between options
			k++
			continue
		}
		if t.kind == 'a' && strings.HasPrefix(text(t), "/*") {
			opts = append(opts, Option{Name: "/*", Raw: text(t)})
			k++
			continue
		}
		if t.kind != 'w' && t.kind != 'a' {
			return nil, fmt.Errorf("unexpected %q in table options %q", text(t), s)
		}
		// The name: a known multi-word name, else one word (or `quoted` engine-defined name).
		nameWords := 1
		for _, words := range multiWordOptions {
			match := true
			for n, w := range words {
				if upper(k+n) != w {
					match = false
					break
				}
			}
			if match {
				nameWords = len(words)
				break
			}
		}
		nameParts := make([]string, nameWords)
		for n := range nameParts {
			nameParts[n] = strings.ToUpper(text(toks[k+n]))
		}
		opt := Option{Name: strings.Join(nameParts, " ")}
		v := k + nameWords // first token of the value
		end := v           // first token after the option
		switch opt.Name {
		case "DISTRIBUTED BY", "DISTRIBUTE BY":
			switch {
			case upper(v) == "HASH" && v+1 < len(toks) && toks[v+1].kind == '(':
				end = v + 2
			case upper(v) == "BROADCAST":
				end = v + 1
			default:
				return nil, fmt.Errorf("unsupported distribution clause in table options %q", s[t.start:])
			}
		case "PARTITION BY":
			if upper(v) == "VALUE" && v+1 < len(toks) && toks[v+1].kind == '(' {
				end = v + 2
			} else {
				end = len(toks)
			}
		case "WITH SYSTEM VERSIONING":
		default:
			switch {
			case v < len(toks) && toks[v].kind == '=':
				if v+1 >= len(toks) {
					return nil, fmt.Errorf("option %s has no value in table options %q", opt.Name, s)
				}
				v++
				end = v + 1
			case v < len(toks) && toks[v].kind == 'a' && !strings.HasPrefix(text(toks[v]), "/*"):
				end = v + 1 // COMMENT 'x'
			case opt.Name == "LIFECYCLE" && v < len(toks) && toks[v].kind == 'w':
				end = v + 1
			}
		}
		if end > v {
			opt.Value = s[toks[v].start:toks[end-1].end]
		}
		opt.Raw = s[t.start:toks[end-1].end]
		opts = append(opts, opt)
		k = end
	}
	return opts, nil
}

// keyParts describes the key-part list of an index line: `KEY name (parts) trailer`.
type keyParts struct {
	parts   []string // each part as written
	idents  []string // the column of each part; nil when a part is an expression
	suffix  []string // what follows the column in each part: "(10)", " DESC", ...
	list    string   // the parenthesized list as written
	trailer string   // index options after the list
}

// parseKeyParts finds the first parenthesized list of an index line and splits it.
func parseKeyParts(raw string) (keyParts, bool) {
	var kp keyParts
	open := -1
	for i := 0; i < len(raw); i = sqltext.SkipAtom(raw, i) {
		if raw[i] == '(' {
			open = i
			break
		}
	}
	if open < 0 {
		return kp, false
	}
	end := sqltext.MatchParen(raw, open)
	if end < 0 {
		return kp, false
	}
	kp.list = raw[open : end+1]
	kp.trailer = strings.TrimSpace(raw[end+1:])
	kp.parts = sqltext.SplitTopLevel(raw[open+1 : end])
	idents := make([]string, len(kp.parts))
	kp.suffix = make([]string, len(kp.parts))
	for n, p := range kp.parts {
		if p == "" || p[0] != '`' {
			return kp, true // an expression part: no per-column rendering
		}
		e := sqltext.SkipAtom(p, 0)
		idents[n] = sqltext.UnquoteIdent(p[:e])
		kp.suffix[n] = p[e:]
	}
	kp.idents = idents
	return kp, true
}

// checkClause returns the text from the CHECK keyword of a constraint line on
// ("CHECK (`a` > 0)"), or "".
func checkClause(raw string) string {
	for i := 0; i < len(raw); {
		if isWordByte(raw[i]) {
			j := i
			for j < len(raw) && isWordByte(raw[j]) {
				j++
			}
			if strings.EqualFold(raw[i:j], "CHECK") {
				return strings.TrimSpace(raw[i:])
			}
			i = j
			continue
		}
		i = sqltext.SkipAtom(raw, i)
	}
	return ""
}

// commentOption returns the COMMENT 'text' among index options, or "".
func commentOption(trailer string) string {
	toks, err := optTokens(trailer)
	if err != nil {
		return ""
	}
	for k, t := range toks {
		if t.kind != 'w' || !strings.EqualFold(trailer[t.start:t.end], "COMMENT") {
			continue
		}
		v := k + 1
		if v < len(toks) && toks[v].kind == '=' {
			v++
		}
		if v < len(toks) && toks[v].kind == 'a' && trailer[toks[v].start] == '\'' {
			return "COMMENT " + trailer[toks[v].start:toks[v].end]
		}
	}
	return ""
}
