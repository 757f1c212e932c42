package cdc

import (
	"regexp"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// columnAttrs are the column attributes TiDB's parser does not read, as preparse takes
// them out of one column definition of a binlog DDL.
type columnAttrs struct {
	// Invisible is MySQL's (8.0.23+) and MariaDB's INVISIBLE, also as MySQL prints it in
	// a versioned comment (/*!80023 INVISIBLE */). VISIBLE, the default, is dropped.
	Invisible bool
	// SRID is the spatial reference of MySQL's SRID n (8.0.3+) or MariaDB's
	// REF_SYSTEM_ID=n: its digits, "" when the column has none.
	SRID string
	// Spatial is a spatial type as written (POINT, GEOMETRY, ...), which the parser does
	// not read either: preparse hands it LONGBLOB instead. "" for other types.
	Spatial string
}

// statementAttrs are the columnAttrs of one statement by column name, lower case.
type statementAttrs map[string]columnAttrs

func (s statementAttrs) of(column string) columnAttrs { return s[strings.ToLower(column)] }

// spatialTypes are the spatial types of MySQL and MariaDB.
var spatialTypes = map[string]bool{
	"GEOMETRY": true, "POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true, "GEOMCOLLECTION": true,
}

// notColumn are the words that start an element of a column list, or an ADD of an ALTER,
// that is not a column definition.
var notColumn = map[string]bool{
	"PRIMARY": true, "KEY": true, "INDEX": true, "UNIQUE": true, "CONSTRAINT": true, "FOREIGN": true,
	"FULLTEXT": true, "SPATIAL": true, "CHECK": true, "PERIOD": true, "LIKE": true, "PARTITION": true,
	"SYSTEM": true,
}

// versionedAttr is a versioned comment holding only a column attribute, as MySQL's SHOW
// CREATE TABLE and a GIPK table's binlog CREATE TABLE write it.
var versionedAttr = regexp.MustCompile(`(?is)^/\*!\d{5,6}\s*(INVISIBLE|VISIBLE|SRID\s+(\d+))\s*\*/$`)

// token is one lexical element of a statement: a word, a quoted string, identifier or
// versioned comment (atom), or one byte of punctuation. depth is the parentheses around it.
type token struct {
	start, end int
	word       string // upper case for a word, "" otherwise
	atom       bool
	depth      int
}

// tokens splits query into tokens, leaving out white space and comments other than
// versioned ones: strings, quoted identifiers and comments are one token each, so a word
// inside them is never taken for an attribute.
func tokens(query string) []token {
	var out []token
	depth := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(query[i:], "-- "):
			e := strings.IndexByte(query[i:], '\n')
			if e < 0 {
				return out
			}
			i += e + 1
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			e := sqltext.SkipAtom(query, i)
			if strings.HasPrefix(query[i:], "/*!") {
				out = append(out, token{start: i, end: e, atom: true, depth: depth})
			}
			i = e
		case c == '\'' || c == '"' || c == '`':
			e := sqltext.SkipAtom(query, i)
			out = append(out, token{start: i, end: e, atom: true, depth: depth})
			i = e
		case sqltext.IsWordByte(c):
			e := i
			for e < len(query) && sqltext.IsWordByte(query[e]) {
				e++
			}
			out = append(out, token{start: i, end: e, word: strings.ToUpper(query[i:e]), depth: depth})
			i = e
		default:
			if c == ')' {
				depth--
			}
			out = append(out, token{start: i, end: i + 1, depth: depth})
			if c == '(' {
				depth++
			}
			i++
		}
	}
	return out
}

// preparse is the pre-pass of a binlog DDL before TiDB's parser reads it. In the column
// definitions of CREATE TABLE and of ALTER TABLE's ADD, MODIFY and CHANGE COLUMN, it takes
// out what the parser refuses: INVISIBLE and VISIBLE, SRID n and REF_SYSTEM_ID=n (also in
// a versioned comment holding only one of them), and gives a spatial type as LONGBLOB. It
// returns the text for the parser and what it took out, by column, for columnText and
// columnOf to put back. Words inside strings, quoted identifiers, comments and parentheses
// (an expression) are left alone; a statement of any other kind is returned as it is.
func preparse(query string) (string, statementAttrs) {
	toks := tokens(query)
	attrs := statementAttrs{}
	type edit struct {
		start, end int
		with       string
	}
	var edits []edit
	// column reads the column definition in toks[from:to], whose name takes names tokens.
	column := func(from, to, names int) {
		if to-from <= names {
			return
		}
		name := query[toks[from+names-1].start:toks[from+names-1].end]
		if toks[from+names-1].atom {
			name = unquoteIdent(name)
		}
		var a columnAttrs
		base := toks[from].depth
		typ := toks[from+names]
		if spatialTypes[typ.word] {
			a.Spatial = typ.word
			edits = append(edits, edit{typ.start, typ.end, "LONGBLOB"})
		}
		for i := from + names + 1; i < to; i++ {
			tk := toks[i]
			if tk.depth != base {
				continue
			}
			switch {
			case tk.word == "INVISIBLE" || tk.word == "VISIBLE":
				a.Invisible = tk.word == "INVISIBLE"
				edits = append(edits, edit{tk.start, tk.end, ""})
			case (tk.word == "SRID" || tk.word == "REF_SYSTEM_ID") && i+1 < to:
				end := i + 1
				if query[toks[end].start] == '=' && end+1 < to {
					end++
				}
				if n := toks[end]; n.word != "" && strings.Trim(n.word, "0123456789") == "" {
					a.SRID = n.word
					edits = append(edits, edit{tk.start, n.end, ""})
					i = end
				}
			case tk.atom:
				if m := versionedAttr.FindStringSubmatch(query[tk.start:tk.end]); m != nil {
					if m[2] != "" {
						a.SRID = m[2]
					} else {
						a.Invisible = strings.EqualFold(m[1], "INVISIBLE")
					}
					edits = append(edits, edit{tk.start, tk.end, ""})
				}
			}
		}
		if a != (columnAttrs{}) {
			attrs[strings.ToLower(name)] = a
		}
	}
	// elements calls each on the comma-separated elements of toks[from:to] at depth.
	elements := func(from, to, depth int, each func(from, to int)) {
		start := from
		for i := from; i <= to; i++ {
			if i == to || toks[i].depth == depth && query[toks[i].start] == ',' && !toks[i].atom && toks[i].word == "" {
				if i > start {
					each(start, i)
				}
				start = i + 1
			}
		}
	}
	// close is the index of the token closing the parenthesis at toks[open].
	closing := func(open int) int {
		for i := open + 1; i < len(toks); i++ {
			if toks[i].depth == toks[open].depth && query[toks[i].start] == ')' && !toks[i].atom {
				return i
			}
		}
		return len(toks)
	}
	i := 0
	word := func(ws ...string) bool {
		for _, w := range ws {
			if i < len(toks) && toks[i].word == w {
				i++
				return true
			}
		}
		return false
	}
	switch {
	case word("CREATE"):
		if word("OR") {
			word("REPLACE")
		}
		word("TEMPORARY")
		if !word("TABLE") {
			return query, nil
		}
		for i < len(toks) && !(toks[i].depth == 0 && query[toks[i].start] == '(' && !toks[i].atom) {
			i++
		}
		if i == len(toks) {
			return query, nil
		}
		elements(i+1, closing(i), 1, func(from, to int) {
			if !notColumn[toks[from].word] {
				column(from, to, 1)
			}
		})
	case word("ALTER"):
		for word("ONLINE", "IGNORE") {
		}
		if !word("TABLE") {
			return query, nil
		}
		elements(i, len(toks), 0, func(from, to int) {
			if from < to && toks[from].depth == 0 && from == i {
				from += nameLength(query, toks[from:to]) // the table's name leads the first spec
			}
			if from >= to {
				return
			}
			names := 1
			switch toks[from].word {
			case "CHANGE":
				names = 2
			case "ADD", "MODIFY":
			default:
				return
			}
			from++
			if from < to && toks[from].word == "COLUMN" {
				from++
			}
			if from < to && toks[from].word == "IF" { // MariaDB's IF [NOT] EXISTS
				for from < to && toks[from].word != "EXISTS" {
					from++
				}
				from++
			}
			if from >= to || notColumn[toks[from].word] {
				return
			}
			if query[toks[from].start] == '(' && !toks[from].atom {
				elements(from+1, min(closing(from), to), 1, func(f, t int) { column(f, t, 1) })
				return
			}
			column(from, to, names)
		})
	default:
		return query, nil
	}
	if len(edits) == 0 {
		return query, nil
	}
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(query[last:e.start])
		b.WriteString(e.with)
		last = e.end
	}
	b.WriteString(query[last:])
	return b.String(), attrs
}

// nameLength is the number of tokens of the (possibly qualified) table name toks starts
// with: name, or db . name.
func nameLength(query string, toks []token) int {
	if len(toks) >= 3 && query[toks[1].start] == '.' && !toks[1].atom {
		return 3
	}
	return 1
}
