package precheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// grant is one "GRANT privileges ON object TO user" line of SHOW GRANTS.
type grant struct {
	privs    map[string]bool // privileges on the whole object, normalised ("ALL", "SELECT", "REPLICATION SLAVE")
	colPrivs map[string]bool // privileges granted on some columns only
	db       string          // "*" in a global grant; may hold the wildcards % and _ when table is "*"
	table    string          // "*" for every table of db
}

func (g grant) global() bool { return g.db == "*" }

// covers reports whether the grant's object includes table of database; table "" asks
// about the database as a whole, which only global and database grants cover.
func (g grant) covers(database, table string) bool {
	switch {
	case g.global():
		return true
	case g.table == "*":
		return likeMatch(g.db, database)
	case table == "":
		return false
	default:
		return strings.EqualFold(g.db, database) && strings.EqualFold(g.table, table)
	}
}

// grants is what SHOW GRANTS says about one user.
type grants struct {
	list []grant
	// roles granted to the user: the privileges they carry are not read, so a privilege
	// that seems missing may still come through a role.
	roles []string
	// unsure holds reasons the list may not tell the whole truth (lines not understood,
	// partial revokes).
	unsure []string
}

// parseGrants reads the lines of SHOW GRANTS FOR CURRENT_USER(). It never fails: a line it
// does not understand makes the result unsure rather than wrong.
func parseGrants(lines []string) grants {
	var gs grants
	for _, line := range lines {
		g, roles, err := parseGrantLine(line)
		switch {
		case errors.Is(err, errNotAGrant):
		case errors.Is(err, errRevoke):
			gs.unsure = append(gs.unsure, "the user has partial revokes ("+line+")")
		case err != nil:
			gs.unsure = append(gs.unsure, fmt.Sprintf("a grant was not understood (%q: %v)", line, err))
		case roles != nil:
			gs.roles = append(gs.roles, roles...)
		case g.db != "":
			gs.list = append(gs.list, g)
		}
	}
	return gs
}

// allows reports whether the user holds priv on table of database (table "" for the database
// itself, database "*" for a global privilege).
func (gs grants) allows(priv, database, table string) bool {
	for _, g := range gs.list {
		if database == "*" && !g.global() {
			continue
		}
		if g.covers(database, table) && (g.privs[priv] || g.privs["ALL"]) {
			return true
		}
	}
	return false
}

// allowsAny reports whether the user holds any of privs globally.
func (gs grants) allowsAny(privs ...string) bool {
	for _, p := range privs {
		if gs.allows(p, "*", "") {
			return true
		}
	}
	return false
}

// partly reports whether the user holds priv on some columns of the table.
func (gs grants) partly(priv, database, table string) bool {
	for _, g := range gs.list {
		if !g.global() && g.table != "*" && g.covers(database, table) && g.colPrivs[priv] {
			return true
		}
	}
	return false
}

// doubt explains why missing privileges may still be held, or "" when the grants are
// complete and understood.
func (gs grants) doubt() string {
	var why []string
	if len(gs.roles) > 0 {
		why = append(why, "the user also has role(s) "+strings.Join(gs.roles, ", ")+" whose privileges were not read")
	}
	why = append(why, gs.unsure...)
	return strings.Join(why, "; ")
}

var (
	errNotAGrant = errors.New("not a GRANT line")
	errRevoke    = errors.New("a REVOKE line")
)

// parseGrantLine parses one line of SHOW GRANTS. It returns the roles for a role grant
// ("GRANT `r` TO `u`@`h`"), an empty grant for grants on routines or proxies, which do not
// matter here, and errNotAGrant for other lines (SET DEFAULT ROLE, ...).
func parseGrantLine(line string) (grant, []string, error) {
	toks, err := lexGrant(line)
	if err != nil {
		return grant{}, nil, err
	}
	if len(toks) == 0 {
		return grant{}, nil, errNotAGrant
	}
	if toks[0].is("REVOKE") {
		return grant{}, nil, errRevoke
	}
	if !toks[0].is("GRANT") {
		return grant{}, nil, errNotAGrant
	}
	// Privileges (or roles), up to ON or TO outside parentheses.
	type phrase struct {
		words []string
		cols  bool
	}
	var phrases []phrase
	var cur phrase
	depth := 0
	i := 1
	for ; i < len(toks); i++ {
		t := toks[i]
		if depth == 0 && (t.is("ON") || t.is("TO")) {
			break
		}
		switch {
		case t.punct("("):
			depth++
			cur.cols = true
		case t.punct(")"):
			depth--
		case t.punct(",") && depth == 0:
			phrases = append(phrases, cur)
			cur = phrase{}
		case depth == 0:
			cur.words = append(cur.words, t.text)
		}
	}
	phrases = append(phrases, cur)
	if i == len(toks) {
		return grant{}, nil, errors.New("no ON or TO")
	}
	if toks[i].is("TO") {
		var roles []string
		for _, p := range phrases {
			roles = append(roles, strings.Join(p.words, " "))
		}
		return grant{}, roles, nil
	}
	i++ // ON
	if i < len(toks) && (toks[i].is("FUNCTION") || toks[i].is("PROCEDURE") || toks[i].is("PACKAGE")) {
		return grant{}, nil, nil
	}
	g := grant{privs: map[string]bool{}, colPrivs: map[string]bool{}}
	for _, p := range phrases {
		if len(p.words) == 0 {
			return grant{}, nil, errors.New("an empty privilege")
		}
		name := normalisePrivilege(p.words)
		if p.cols {
			g.colPrivs[name] = true
		} else {
			g.privs[name] = true
		}
	}
	if g.privs["PROXY"] {
		return grant{}, nil, nil
	}
	// The object: *.*, db.*, db.table.
	if i+2 >= len(toks) || !toks[i+1].punct(".") {
		return grant{}, nil, errors.New("the object is not db.table")
	}
	g.db, g.table = toks[i].name(), toks[i+2].name()
	if g.db == "" || g.table == "" {
		return grant{}, nil, errors.New("the object is not db.table")
	}
	if g.db == "*" && g.table != "*" {
		return grant{}, nil, errors.New("the object is *.table")
	}
	if i+3 >= len(toks) || !toks[i+3].is("TO") {
		return grant{}, nil, errors.New("no TO after the object")
	}
	return g, nil, nil
}

// normalisePrivilege turns the words of a privilege into one upper-case name, with
// synonyms folded: ALL PRIVILEGES is ALL, REPLICATION REPLICA is REPLICATION SLAVE.
func normalisePrivilege(words []string) string {
	name := strings.ToUpper(strings.Join(words, " "))
	switch name {
	case "ALL PRIVILEGES":
		return "ALL"
	case "REPLICATION REPLICA":
		return "REPLICATION SLAVE"
	}
	return name
}

// grantToken is one token of a GRANT line.
type grantToken struct {
	text   string // unquoted
	quoted bool   // came from `...`, '...' or "..."
	isPunc bool
}

func (t grantToken) is(word string) bool {
	return !t.quoted && !t.isPunc && strings.EqualFold(t.text, word)
}

func (t grantToken) punct(p string) bool { return t.isPunc && t.text == p }

// name returns the token as a database or table name: "*" for the wildcard, "" when the
// token is not a name.
func (t grantToken) name() string {
	switch {
	case t.isPunc && t.text == "*":
		return "*"
	case t.isPunc:
		return ""
	}
	return t.text
}

// lexGrant splits a GRANT line into words, quoted names and strings, and punctuation.
func lexGrant(line string) ([]grantToken, error) {
	var toks []grantToken
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '`' || c == '\'' || c == '"':
			text, n, err := unquote(line[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, grantToken{text: text, quoted: true})
			i += n
		case strings.IndexByte("(),.*@=;", c) >= 0:
			toks = append(toks, grantToken{text: string(c), isPunc: true})
			i++
		default:
			j := i
			for j < len(line) && !unicode.IsSpace(rune(line[j])) && strings.IndexByte("(),.*@=;`'\"", line[j]) < 0 {
				j++
			}
			toks = append(toks, grantToken{text: line[i:j]})
			i = j
		}
	}
	return toks, nil
}

// unquote reads the quoted token at the start of s and returns its text and length. A
// doubled quote stands for itself; in strings (not in `names`) a backslash escapes the
// next character.
func unquote(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i++
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && q != '`' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated %c", q)
}

// likeMatch matches name against a database name in a grant, where % and _ are wildcards
// and a backslash escapes them. Case is ignored.
func likeMatch(pattern, name string) bool {
	p, n := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(name))
	var match func(pi, ni int) bool
	match = func(pi, ni int) bool {
		for pi < len(p) {
			switch p[pi] {
			case '%':
				for k := ni; k <= len(n); k++ {
					if match(pi+1, k) {
						return true
					}
				}
				return false
			case '_':
				if ni >= len(n) {
					return false
				}
			case '\\':
				if pi+1 < len(p) {
					pi++
				}
				if ni >= len(n) || n[ni] != p[pi] {
					return false
				}
			default:
				if ni >= len(n) || n[ni] != p[pi] {
					return false
				}
			}
			pi++
			ni++
		}
		return ni == len(n)
	}
	return match(0, 0)
}

// readGrants reads the current user's grants and its account name ('user'@'host') for
// remedies.
func readGrants(ctx context.Context, db *sql.DB) (grants, string, error) {
	account := "<user>"
	var cu string
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&cu); err == nil {
		if at := strings.LastIndexByte(cu, '@'); at >= 0 {
			account = fmt.Sprintf("'%s'@'%s'", cu[:at], cu[at+1:])
		} else {
			account = "'" + cu + "'"
		}
	}
	lines, err := dbconn.Strings(ctx, db, "SHOW GRANTS FOR CURRENT_USER()")
	if err != nil {
		var err2 error
		if lines, err2 = dbconn.Strings(ctx, db, "SHOW GRANTS"); err2 != nil {
			return grants{}, account, err
		}
	}
	return parseGrants(lines), account, nil
}
