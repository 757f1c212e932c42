package taskexpr

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	// The parser needs a driver for literal values; this is the one made for tools.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// ParseWhere checks that where is one condition on the columns of a single table, safe to
// put after WHERE (also in parentheses, and combined with other conditions) in a query on the
// source, and returns the columns it names, in order of first use without repeats. A where
// that is empty or only spaces is no filter: nil, nil. It is pure: it needs no server.
//
// Rejected: more than one statement, anything after the condition (UNION, ORDER BY, LIMIT,
// INTO, FOR UPDATE, ...), comments of any kind, unbalanced parentheses, subqueries, variables,
// placeholders, aggregate and window functions, qualified column names, stored functions and
// built-in functions with side effects or random results (SLEEP, BENCHMARK, LOAD_FILE,
// GET_LOCK, RAND, UUID, ...), and a quote escaped with a backslash inside a string (double
// the quote instead: that reads the same with or without the NO_BACKSLASH_ESCAPES SQL mode).
func ParseWhere(where string) (columns []string, err error) {
	if strings.TrimSpace(where) == "" {
		return nil, nil
	}
	if err := scanWhere(where); err != nil {
		return nil, err
	}
	stmts, _, err := parser.New().ParseSQL("SELECT 1 FROM t WHERE " + where)
	if err != nil {
		return nil, fmt.Errorf("not a valid condition: %s", parserMessage(err))
	}
	if len(stmts) != 1 {
		return nil, errors.New("a filter is one condition, not several statements")
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok {
		return nil, errors.New("a filter is one condition: UNION, INTERSECT and EXCEPT are not allowed")
	}
	if err := onlyWhere(sel); err != nil {
		return nil, err
	}
	v := &whereVisitor{seen: map[string]bool{}}
	sel.Where.Accept(v)
	if v.err != nil {
		return nil, v.err
	}
	return v.columns, nil
}

// scanWhere rejects, before parsing, what the parser would skip or read differently from the
// source server: comments, statement separators, unbalanced parentheses and
// backslash-escaped quotes. It follows quoted strings and names so that their content is
// not mistaken for syntax.
func scanWhere(where string) error {
	depth := 0
	for i := 0; i < len(where); i++ {
		c := where[i]
		switch {
		case c == 0:
			return errors.New("a filter cannot contain a NUL character")
		case c == '\'' || c == '"' || c == '`':
			end, err := skipQuoted(where, i)
			if err != nil {
				return err
			}
			i = end
		case c == ';':
			return errors.New("a filter cannot contain ';' outside a string: it is one condition, not several statements")
		case c == '#', c == '-' && i+1 < len(where) && where[i+1] == '-', c == '/' && i+1 < len(where) && where[i+1] == '*':
			return errors.New("a filter cannot contain comments ('#', '--' or '/*'); to subtract a negative number write a - (-1)")
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return errors.New("a filter has a ')' without its '('")
			}
		}
	}
	if depth != 0 {
		return errors.New("a filter has a '(' without its ')'")
	}
	return nil
}

// skipQuoted returns the index of the quote that closes the string or name opened at
// where[start].
func skipQuoted(where string, start int) (int, error) {
	q := where[start]
	for i := start + 1; i < len(where); i++ {
		c := where[i]
		switch {
		case c == '\\' && q != '`':
			if i+1 < len(where) && where[i+1] == q {
				return 0, fmt.Errorf(`a filter cannot escape a quote with a backslash (\%c): double it instead (%c%c)`, q, q, q)
			}
			i++ // the escaped character
		case c == q && i+1 < len(where) && where[i+1] == q:
			i++
		case c == q:
			return i, nil
		}
	}
	return 0, fmt.Errorf("a filter has an unterminated %c", q)
}

// onlyWhere checks that the statement is exactly SELECT 1 FROM t WHERE <condition>.
func onlyWhere(sel *ast.SelectStmt) error {
	extra := func(what string) error {
		return fmt.Errorf("a filter is one condition: %s is not allowed after it", what)
	}
	switch {
	case sel.Where == nil:
		return errors.New("a filter must be a condition")
	case sel.Kind != ast.SelectStmtKindSelect, sel.With != nil, sel.IsInBraces, sel.AfterSetOperator != nil:
		return errors.New("a filter is one condition, not a query")
	case sel.GroupBy != nil:
		return extra("GROUP BY")
	case sel.Having != nil:
		return extra("HAVING")
	case len(sel.WindowSpecs) > 0:
		return extra("WINDOW")
	case sel.OrderBy != nil:
		return extra("ORDER BY")
	case sel.Limit != nil:
		return extra("LIMIT")
	case sel.LockInfo != nil && sel.LockInfo.LockType != ast.SelectLockNone:
		return extra("a locking clause (FOR UPDATE, LOCK IN SHARE MODE)")
	case sel.SelectIntoOpt != nil:
		return extra("INTO")
	case len(sel.TableHints) > 0, sel.Distinct, sel.Fields == nil, len(sel.Fields.Fields) != 1:
		return errors.New("a filter is one condition, not a query")
	}
	if sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return errors.New("a filter is one condition, not a join")
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return errors.New("a filter is one condition, not a join")
	}
	if tn, ok := ts.Source.(*ast.TableName); !ok || tn.Name.L != "t" || tn.Schema.L != "" {
		return errors.New("a filter is one condition, not a query")
	}
	return nil
}

// whereVisitor walks a condition, collects its columns and stops at the first node that is
// not allowed. Only the node types listed are allowed.
type whereVisitor struct {
	columns []string
	seen    map[string]bool
	err     error
}

func (v *whereVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil {
		return n, true
	}
	switch x := n.(type) {
	case ast.ParamMarkerExpr:
		v.err = errors.New("a filter cannot contain placeholders (?)")
	case ast.ValueExpr:
	case *ast.ColumnNameExpr:
		if x.Name.Schema.O != "" || x.Name.Table.O != "" {
			v.err = fmt.Errorf("write the column %s without a table or database name: a filter only reads its own table", x.Name.Name.O)
			break
		}
		if !v.seen[x.Name.Name.L] {
			v.seen[x.Name.Name.L] = true
			v.columns = append(v.columns, x.Name.Name.O)
		}
	case *ast.ColumnName:
	case *ast.BinaryOperationExpr, *ast.UnaryOperationExpr, *ast.BetweenExpr, *ast.CaseExpr, *ast.WhenClause,
		*ast.PatternInExpr, *ast.IsNullExpr, *ast.IsTruthExpr, *ast.PatternLikeOrIlikeExpr, *ast.PatternRegexpExpr,
		*ast.ParenthesesExpr, *ast.RowExpr, *ast.FuncCastExpr, *ast.SetCollationExpr, *ast.TrimDirectionExpr,
		*ast.TimeUnitExpr, *ast.GetFormatSelectorExpr, *ast.DefaultExpr:
	case *ast.FuncCallExpr:
		switch {
		case x.Schema.O != "":
			v.err = fmt.Errorf("a filter cannot call the stored function %s.%s", x.Schema.O, x.FnName.O)
		case !allowedFunctions[x.FnName.L]:
			v.err = fmt.Errorf("a filter cannot call %s(): only built-in functions without side effects or random results are allowed", x.FnName.O)
		}
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		v.err = errors.New("a filter cannot contain a subquery: it may only read its own table's row")
	case *ast.VariableExpr:
		v.err = errors.New("a filter cannot use variables (@name, @@name)")
	case *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
		v.err = errors.New("a filter cannot use aggregate or window functions")
	default:
		v.err = fmt.Errorf("a filter cannot contain this kind of expression (%T)", n)
	}
	return n, v.err != nil
}

func (v *whereVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, v.err == nil }

// parserMessage shortens a parser error to its first line, without the statement we built
// around the filter.
func parserMessage(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	// Positions count from the start of the statement built around the filter.
	msg = parserPosition.ReplaceAllString(msg, "")
	return strings.TrimSpace(strings.Replace(msg, "SELECT 1 FROM t WHERE ", "", 1))
}

var parserPosition = regexp.MustCompile(`line \d+ column \d+ `)

// allowedFunctions are the built-in functions a filter may call: deterministic apart from
// the clock, and free of side effects. Names are as the parser reports them.
var allowedFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`
		abs acos asin atan atan2 ceil ceiling conv cos cot crc32 degrees div exp floor ln log log10
		log2 mod pi pow power radians round sign sin sqrt tan truncate
		ascii bin bit_length char_func char_length character_length concat concat_ws elt
		export_set field find_in_set format from_base64 hex insert instr lcase left length locate
		lower lpad ltrim make_set mid oct octet_length ord position quote repeat replace reverse
		right rpad rtrim soundex space strcmp substr substring substring_index to_base64 trim
		ucase unhex upper weight_string regexp_like regexp_instr regexp_replace regexp_substr
		adddate addtime convert convert_tz curdate current_date current_time current_timestamp
		curtime date date_add date_format date_sub datediff day dayname dayofmonth dayofweek
		dayofyear extract from_days from_unixtime get_format hour last_day localtime
		localtimestamp makedate maketime microsecond minute month monthname now period_add
		period_diff quarter sec_to_time second str_to_date subdate subtime sysdate time
		time_format time_to_sec timediff timestamp timestampadd timestampdiff to_days to_seconds
		unix_timestamp utc_date utc_time utc_timestamp week weekday weekofyear year yearweek
		coalesce greatest least if ifnull nullif isnull interval
		json_array json_contains json_contains_path json_depth json_extract json_keys
		json_length json_object json_overlaps json_quote json_search json_type json_unquote
		json_valid json_value json_memberof
		bit_count md5 sha sha1 sha2 inet_aton inet_ntoa inet6_aton inet6_ntoa is_ipv4 is_ipv6
		uuid_to_bin bin_to_uuid charset collation coercibility
	`) {
		allowedFunctions[f] = true
	}
	// DATE '...', TIME '...' and TIMESTAMP '...' literals.
	for _, f := range []string{ast.DateLiteral, ast.TimeLiteral, ast.TimestampLiteral} {
		allowedFunctions[f] = true
	}
}
