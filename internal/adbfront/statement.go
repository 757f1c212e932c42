package adbfront

import (
	"context"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	// The parser needs a driver for literal values (DEFAULT 0); this is the
	// one made for tools.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Error is a refusal: what the front answers instead of MariaDB. Code and
// State are a MySQL error number and SQLSTATE.
type Error struct {
	Code    uint16
	State   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Error numbers the front answers with. AnalyticDB's own numbers are not
// documented; these are MySQL's for the same kind of failure.
const (
	codeSyntax       = 1064 // ER_PARSE_ERROR
	codeNotSupported = 1235 // ER_NOT_SUPPORTED_YET
)

// refuse builds the refusal for rule r: what is refused, the page that says
// so, and what to do instead.
func refuse(code uint16, page, format string, args ...any) *Error {
	state := "42000"
	return &Error{Code: code, State: state,
		Message: fmt.Sprintf("[adbfront] "+format+" (AnalyticDB for MySQL 3.0 documentation: %q)", append(args, page)...)}
}

// tableRef names a table; an empty Schema means the session's database.
type tableRef struct {
	Schema, Table string
}

func (r tableRef) String() string {
	return quoteName(r.Schema) + "." + quoteName(r.Table)
}

func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// action runs after MariaDB has accepted a statement, before the client sees
// the answer.
type action func(ctx context.Context, s *session) error

// answerFunc computes a result set the front answers itself.
type answerFunc func(ctx context.Context, s *session) (columns []string, rows [][]string, err error)

// statement is one COM_QUERY or COM_STMT_PREPARE statement on its way
// through the rules.
type statement struct {
	original string
	text     string
	toks     []token
	db       string // the session's database
	prepare  bool   // COM_STMT_PREPARE, not COM_QUERY
	// killProcess is set when the statement was KILL PROCESS, now KILL CONNECTION.
	killProcess bool

	node       ast.StmtNode // DDL parsed after the table clauses are cut
	parsed     bool
	nodeEdited bool // a rule changed node: finalText restores it

	// primaryKey returns the first primary key column of a table ("" when it
	// has none); nil when the front cannot look it up.
	primaryKey func(tableRef) (string, error)

	answer answerFunc
	after  []action

	triggersScheduled bool
	triggerZeroDate   bool // install the zero-date trigger part
	triggerTimeRange  bool // install the TIME range trigger part
}

func newStatement(text, db string, prepare bool) *statement {
	st := &statement{original: text, db: db, prepare: prepare}
	st.setText(text)
	return st
}

func (st *statement) setText(text string) {
	st.text = text
	st.toks = tokenize(text)
	st.parsed, st.node = false, nil
}

// first reports whether the statement starts with the given words.
func (st *statement) first(words ...string) bool {
	if len(st.toks) < len(words) {
		return false
	}
	for i, w := range words {
		if !st.toks[i].is(w) {
			return false
		}
	}
	return true
}

// creates returns the object kind of a CREATE, ALTER or DROP statement
// (TABLE, INDEX, TRIGGER, ...), skipping OR REPLACE, DEFINER = ..., UNIQUE
// and the like; "" for other statements.
func (st *statement) creates() string {
	if !st.first("CREATE") && !st.first("ALTER") && !st.first("DROP") {
		return ""
	}
	for _, t := range st.toks[1:min(len(st.toks), 12)] {
		switch strings.ToUpper(t.text) {
		case "TABLE", "INDEX", "VIEW", "DATABASE", "SCHEMA", "TRIGGER", "EVENT", "PROCEDURE", "FUNCTION", "USER", "ROLE", "SERVER", "SEQUENCE":
			return strings.ToUpper(t.text)
		}
	}
	return ""
}

// ddl returns the parsed CREATE TABLE, ALTER TABLE, CREATE INDEX or DROP
// TABLE statement, nil for others. A DDL statement the parser cannot read is
// refused: the front could not apply its rules to it.
func (st *statement) ddl() (ast.StmtNode, error) {
	if st.parsed {
		return st.node, nil
	}
	st.parsed = true
	switch st.creates() {
	case "TABLE", "INDEX":
	default:
		return nil, nil
	}
	node, err := parser.New().ParseOneStmt(st.text, "", "")
	if err != nil {
		return nil, refuse(codeSyntax, "CREATE TABLE", "cannot read this DDL statement, so its rules cannot be checked: %v; write it in the documented grammar", err)
	}
	st.node = node
	return node, nil
}

// finalText is the statement to send to MariaDB.
func (st *statement) finalText() (string, error) {
	if !st.nodeEdited {
		return st.text, nil
	}
	var b strings.Builder
	if err := st.node.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		return "", fmt.Errorf("writing the rewritten DDL: %w", err)
	}
	return b.String(), nil
}

// table returns the table named by a CREATE TABLE, ALTER TABLE or DROP
// TABLE node, qualified with the session's database.
func (st *statement) qualify(name *ast.TableName) tableRef {
	ref := tableRef{Schema: name.Schema.O, Table: name.Name.O}
	if ref.Schema == "" {
		ref.Schema = st.db
	}
	return ref
}

// cut removes the byte ranges [start,end) from text.
func cut(text string, ranges [][2]int) string {
	var b strings.Builder
	last := 0
	for _, r := range ranges {
		b.WriteString(text[last:r[0]])
		b.WriteByte(' ')
		last = r[1]
	}
	b.WriteString(text[last:])
	return b.String()
}
