// MySQL and MariaDB read each other's CREATE TABLE but for a few features that each prints
// in its own words. crossFamily rewrites a table from one for the other: what has an
// equivalent is mapped, what has none is a FieldError, so the precheck names it
// (destination_table_fields) before anything is created.

package dialect

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// MariaDB skips MySQL's versioned comments /*!NNNNN ... */ from 5.7.0 on (measured on
// 10.11: /*!50708 ...*/ and /*!80023 ...*/ are skipped, /*!50100 ...*/ is read), so a MySQL
// 8 feature SHOW CREATE TABLE prints in one would silently be left out.
const (
	mariadbSkipsFrom = 50700
	mariadbSkipsTo   = 99999
)

// mysqlLanguages maps the language code of MySQL's utf8mb4_<code>_0900_* collations to the
// name of MariaDB's utf8mb4_uca1400_<name>_* collations for the same language (MariaDB
// 10.10+). MariaDB 11.4.5 makes utf8mb4_0900_ai_ci an alias of utf8mb4_uca1400_nopad_ai_ci:
// MySQL's 0900 collations are NO PAD, and UCA 14.0.0 orders what UCA 9.0.0 knew the same.
var mysqlLanguages = map[string]string{
	"cs": "czech", "da": "danish", "de_pb": "german2", "eo": "esperanto", "es": "spanish",
	"es_trad": "spanish2", "et": "estonian", "hr": "croatian", "hu": "hungarian",
	"is": "icelandic", "la": "roman", "lt": "lithuanian", "lv": "latvian", "pl": "polish",
	"ro": "romanian", "sk": "slovak", "sl": "slovenian", "sv": "swedish", "tr": "turkish",
	"vi": "vietnamese",
}

var (
	mysql0900Collation  = regexp.MustCompile(`^utf8mb4_(?:([a-z_]+?)_)?0900_(ai_ci|as_ci|as_cs)$`)
	mariadbUCACollation = regexp.MustCompile(`^utf8mb4_uca1400_(?:([a-z0-9]+)_)?nopad_(ai_ci|as_ci|as_cs)$`)
)

// CollationFor returns the name of the collation a destination of type dest gives a column
// or table whose source of type source has the collation name: MySQL's utf8mb4_0900_*
// collations become MariaDB's utf8mb4_uca1400_*_nopad_* ones and back. A collation without
// such an equivalent, or between servers of one type, keeps its name; the precheck
// (charset_support) then finds whether the destination knows it.
func CollationFor(name string, source, dest DatabaseType) string {
	lower := strings.ToLower(name)
	switch {
	case source == MySQL && dest == MariaDB:
		if lower == "utf8mb4_0900_bin" {
			return "utf8mb4_nopad_bin"
		}
		m := mysql0900Collation.FindStringSubmatch(lower)
		if m == nil {
			return name
		}
		if m[1] == "" {
			return "utf8mb4_uca1400_nopad_" + m[2]
		}
		if lang, ok := mysqlLanguages[m[1]]; ok && m[2] != "as_ci" {
			return "utf8mb4_uca1400_" + lang + "_nopad_" + m[2]
		}
	case source == MariaDB && dest == MySQL:
		if lower == "utf8mb4_nopad_bin" {
			return "utf8mb4_0900_bin"
		}
		m := mariadbUCACollation.FindStringSubmatch(lower)
		if m == nil {
			return name
		}
		if m[1] == "" {
			return "utf8mb4_0900_" + m[2]
		}
		for code, lang := range mysqlLanguages {
			// MySQL's language collations are ai_ci and as_cs only.
			if lang == m[1] && m[2] != "as_ci" {
				return "utf8mb4_" + code + "_0900_" + m[2]
			}
		}
	}
	return name
}

// mariadbOnlyTypes are MariaDB's column types MySQL has no type for. The binlog carries their
// 16 (INET6, UUID) or 4 (INET4) bytes, a SELECT their text; a MySQL column that took both
// as the same value does not exist, so they are named rather than mapped.
var mariadbOnlyTypes = map[string]string{
	"inet6": "VARCHAR(39) or VARBINARY(16)",
	"inet4": "VARCHAR(15) or BINARY(4)",
	"uuid":  "CHAR(36) or BINARY(16)",
}

// crossFamily returns t rewritten for a dest destination when t comes from the other of
// MySQL and MariaDB, and t unchanged otherwise. From MySQL to MariaDB: an invisible column
// (/*!80023 INVISIBLE */) stays invisible, an invisible index (/*!80000 INVISIBLE */) becomes
// IGNORED, a NOT ENFORCED CHECK is left out (it enforces nothing, and MariaDB enforces
// every CHECK), utf8mb4_0900_* collations become their UCA 14.0.0 NO PAD equivalents; any
// other MySQL 5.7+ versioned comment, which MariaDB would skip, and a functional key part,
// which MariaDB lacks, fail. From MariaDB to MySQL: an IGNORED index becomes INVISIBLE, the
// NO PAD UCA 14.0.0 collations become 0900 ones, and the INET4, INET6 and UUID types fail.
// Failures are added to v.
func crossFamily(v *validator, t Table, dest DatabaseType) Table {
	from := t.SourceFlavor
	if !(from == MySQL && dest == MariaDB || from == MariaDB && dest == MySQL) {
		return t
	}
	collation := func(w string) string { return CollationFor(w, from, dest) }
	out := t
	out.Columns = make([]Column, len(t.Columns))
	for i, c := range t.Columns {
		def, errs := crossFamilyColumn(c.Definition, from, dest)
		for _, e := range errs {
			v.fail("columns", "column %s %s", QuoteIdent(c.Name), e)
		}
		out.Columns[i] = Column{Name: c.Name, Definition: def}
	}
	out.Indexes = nil
	for _, ix := range t.Indexes {
		if from == MariaDB {
			ix.Raw = rewriteText(ix.Raw, func(w string) string {
				if strings.EqualFold(w, "IGNORED") {
					return "INVISIBLE"
				}
				return w
			}, nil)
			out.Indexes = append(out.Indexes, ix)
			continue
		}
		if ix.Kind != "CHECK" && ix.Columns == nil {
			v.fail("indexes", "%s has a functional key part (MySQL 8.0.13+), which MariaDB does not have: index a generated column instead, or drop the index on the source", indexLabel(ix))
		}
		notEnforced := false
		ix.Raw = rewriteText(ix.Raw, nil, func(raw, body string) string {
			switch {
			case ix.Kind == "CHECK" && strings.EqualFold(strings.Join(strings.Fields(body), " "), "NOT ENFORCED"):
				notEnforced = true
			case ix.Kind != "CHECK" && strings.EqualFold(body, "INVISIBLE"):
				return "IGNORED"
			default:
				v.fail("indexes", "%s has %s, a MySQL feature MariaDB has no equivalent for and would skip: remove it on the source, or create the destination table yourself and migrate without schema migration", indexLabel(ix), raw)
			}
			return raw
		})
		if !notEnforced {
			out.Indexes = append(out.Indexes, ix)
		}
	}
	out.Options = rewriteText(t.Options, collation, nil)
	return out
}

// crossFamilyColumn is a column definition (type and attributes) of a from table as a dest
// of the other of MySQL and MariaDB creates it (crossFamily's column rules), and what it
// cannot carry, each worded to follow "column NAME ".
func crossFamilyColumn(def string, from, dest DatabaseType) (string, []string) {
	collation := func(w string) string { return CollationFor(w, from, dest) }
	var errs []string
	if from == MySQL {
		def = rewriteText(def, collation, func(raw, body string) string {
			if strings.EqualFold(body, "INVISIBLE") {
				return "INVISIBLE"
			}
			errs = append(errs, fmt.Sprintf("has %s, a MySQL feature MariaDB has no equivalent for and would skip: remove it from the source column, or create the destination table yourself and migrate without schema migration", raw))
			return raw
		})
		return def, errs
	}
	if typ := leadingWord(def); mariadbOnlyTypes[typ] != "" {
		errs = append(errs, fmt.Sprintf("is of MariaDB's type %s, which MySQL does not have: change the source column to %s, or leave the column out of the migration", strings.ToUpper(typ), mariadbOnlyTypes[typ]))
	}
	return rewriteText(def, collation, nil), errs
}

// leadingWord returns the first word of a column definition (its type), in lower case.
func leadingWord(def string) string {
	def = strings.TrimSpace(def)
	end := 0
	for end < len(def) && sqltext.IsWordByte(def[end]) {
		end++
	}
	return strings.ToLower(def[:end])
}

// rewriteText returns text with each bare word replaced by word(w), and each versioned
// comment /*!NNNNN body */ that MariaDB skips by versioned(raw, body), body trimmed.
// Strings, quoted identifiers and other comments stay as written; a nil function leaves
// its kind alone.
func rewriteText(text string, word func(string) string, versioned func(raw, body string) string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case sqltext.IsWordByte(c):
			j := i
			for j < len(text) && sqltext.IsWordByte(text[j]) {
				j++
			}
			if word != nil {
				b.WriteString(word(text[i:j]))
			} else {
				b.WriteString(text[i:j])
			}
			i = j
		default:
			j := sqltext.SkipAtom(text, i)
			raw := text[i:j]
			if body, ok := skippedByMariaDB(raw); ok && versioned != nil {
				raw = versioned(raw, body)
			}
			b.WriteString(raw)
			i = j
		}
	}
	return b.String()
}

// skippedByMariaDB reports whether raw is a versioned comment /*!NNNNN body */ that MariaDB
// skips, and returns its body.
func skippedByMariaDB(raw string) (string, bool) {
	if !strings.HasPrefix(raw, "/*!") || !strings.HasSuffix(raw, "*/") || len(raw) < 10 {
		return "", false
	}
	n, err := strconv.Atoi(raw[3:8])
	if err != nil || n < mariadbSkipsFrom || n > mariadbSkipsTo {
		return "", false
	}
	return strings.TrimSpace(raw[8 : len(raw)-2]), true
}
