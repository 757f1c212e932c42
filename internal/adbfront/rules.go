package adbfront

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// Documentation pages the rules come from (AnalyticDB for MySQL 3.0
// developer reference, and DTS for the type mapping).
const (
	pageTypes    = "Basic data types"
	pageOtherSQL = "Differences in other SQL features"
	pageDDL      = "DDL differences"
	pageCreate   = "CREATE TABLE"
	pageInsert   = "INSERT INTO"
	pageLoadData = "LOAD DATA"
	pageKill     = "KILL PROCESS"
	pageDTSTypes = "Data type mappings for initial schema synchronization (DTS)"
	undocumented = "not documented: a switch"
)

// Switches settle the points the documentation leaves open. The zero value
// is the strict choice everywhere: refuse what is not documented to work.
type Switches struct {
	// Transactions: "error" refuses BEGIN, START TRANSACTION, COMMIT and
	// ROLLBACK; "noop" accepts them and does nothing, so every statement
	// commits on its own and a ROLLBACK undoes nothing.
	Transactions string
	// LockingReads: "error" refuses SELECT ... FOR UPDATE and LOCK IN SHARE
	// MODE; "strip" runs the SELECT without the locking clause.
	LockingReads string
	// FourByteUTF8: "keep" stores 4-byte UTF-8 characters; "refuse" creates
	// tables in utf8mb3, so MariaDB refuses them (in strict sql_mode).
	FourByteUTF8 string
	// MySQLKill: "refuse" refuses KILL [CONNECTION|QUERY] id; "allow" passes
	// it to MariaDB. KILL PROCESS id always works.
	MySQLKill string
	// MySQLTypeNames: "refuse" accepts only the type names on the "Basic
	// data types" page; "accept" also takes the MySQL names the page maps
	// (CHAR, TEXT, BLOB, VARBINARY, MEDIUMINT).
	MySQLTypeNames string
}

func (sw *Switches) validate() error {
	for _, c := range []struct {
		name string
		v    *string
		ok   []string
	}{
		{"transactions", &sw.Transactions, []string{"error", "noop"}},
		{"locking reads", &sw.LockingReads, []string{"error", "strip"}},
		{"4-byte UTF-8", &sw.FourByteUTF8, []string{"keep", "refuse"}},
		{"MySQL KILL", &sw.MySQLKill, []string{"refuse", "allow"}},
		{"MySQL type names", &sw.MySQLTypeNames, []string{"refuse", "accept"}},
	} {
		if *c.v == "" {
			*c.v = c.ok[0]
		}
		if !contains(c.ok, *c.v) {
			return fmt.Errorf("adbfront: switch %s is %q; use one of %s", c.name, *c.v, strings.Join(c.ok, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Rule is one documented behaviour of AnalyticDB, or one switch for an
// undocumented one. Rules run in table order on every COM_QUERY and
// COM_STMT_PREPARE statement; the first refusal ends the statement.
type Rule struct {
	Name string // stable identifier, used in logs and docs/adb.md
	Page string // the documentation page it comes from
	Says string // what the page says, in one line
	// apply refuses the statement (returns *Error), or changes it, or does
	// nothing. Other errors are the front's own failures.
	apply func(st *statement, sw Switches) error
}

// Rules is the rule table. Order matters: table-clauses cuts AnalyticDB's
// clauses before the rules that parse DDL.
var Rules = []Rule{
	{"transactions", pageOtherSQL + " (" + undocumented + ")", "transactional statements are listed as not supported", ruleTransactions},
	{"locking-reads", pageOtherSQL + " (" + undocumented + ")", "locking statements are listed as not supported", ruleLockingReads},
	{"kill-process", pageKill, "KILL PROCESS <id> ends a process listed by SHOW PROCESSLIST", ruleKillProcess},
	{"kill-mysql-forms", pageKill + " (" + undocumented + ")", "only KILL PROCESS is documented", ruleKillMySQL},
	{"no-stored-programs", pageDDL, "no stored procedures, functions, triggers or events", ruleStoredPrograms},
	{"table-clauses", pageCreate, "DISTRIBUTED BY, PARTITION BY VALUE ... LIFECYCLE, BINLOG, binlog_ttl are table clauses that SHOW CREATE TABLE shows", ruleTableClauses},
	{"show-create-table", pageCreate, "SHOW CREATE TABLE shows the table clauses", ruleShowCreateTable},
	{"types-absent", pageTypes, "no ENUM, SET, BIT or YEAR type", ruleTypesAbsent},
	{"types-unsigned", pageTypes, "no UNSIGNED integers (DTS maps them to the next wider type)", ruleTypesUnsigned},
	{"types-decimal-38", pageTypes, "DECIMAL precision is 1 to 38", ruleDecimal38},
	{"types-mysql-names", pageTypes + " (" + undocumented + ")", "VARCHAR stands for CHAR/VARCHAR/TEXT, BINARY for BINARY/VARBINARY/BLOB, INT for MEDIUMINT", ruleMySQLTypeNames},
	{"fractional-seconds-ms", pageTypes, "TIME, DATETIME and TIMESTAMP keep milliseconds", ruleMilliseconds},
	{"zero-date-null", pageTypes, "DATE '0000-00-00' is stored as NULL", ruleZeroDate},
	{"time-range", pageTypes, "TIME ranges over 00:00:00 to 23:59:59", ruleTimeRange},
	{"secondary-index-one-column", pageDDL, "a secondary index covers one column: no multi-column, unique, prefix, expression or spatial index", ruleSecondaryIndex},
	{"lengths-are-syntax", pageTypes, "a VARCHAR's length is only syntax (values up to 16 MB); BINARY holds BINARY, VARBINARY and BLOB values", ruleLengthsAreSyntax},
	{"no-foreign-keys", pageDDL, "no foreign keys", ruleForeignKeys},
	{"add-column-no-position", pageDDL, "ADD COLUMN has no FIRST or AFTER", ruleAddColumnPosition},
	{"add-column-one", pageDDL, "ADD COLUMN adds one column per statement", ruleAddColumnOne},
	{"default-via-modify", pageDDL, "defaults change through MODIFY COLUMN: no ALTER COLUMN ... SET/DROP DEFAULT", ruleAlterColumnDefault},
	{"four-byte-utf8", pageTypes + " (" + undocumented + ")", "whether 4-byte UTF-8 characters are kept is not documented", ruleFourByteUTF8},
	{"insert-ignores-duplicates", pageInsert, "a plain INSERT skips a row whose primary key exists, like INSERT IGNORE", ruleInsertIgnore},
	{"load-data-grammar", pageLoadData, "LOAD DATA LOCAL INFILE 'f' [REPLACE|IGNORE] INTO TABLE t [FIELDS [TERMINATED BY][[OPTIONALLY] ENCLOSED BY]] [LINES [TERMINATED BY]] [IGNORE n LINES] [(columns)]", ruleLoadData},
}

func ruleTransactions(st *statement, sw Switches) error {
	if !(st.first("BEGIN") || st.first("START", "TRANSACTION") || st.first("COMMIT") || st.first("ROLLBACK") ||
		st.first("SAVEPOINT") || st.first("RELEASE", "SAVEPOINT") || st.first("XA")) {
		return nil
	}
	if sw.Transactions == "noop" {
		st.setText("DO 0")
		return nil
	}
	return refuse(codeNotSupported, pageOtherSQL, "transactional statement %q is not supported; write without transactions", st.toks[0].text)
}

func ruleLockingReads(st *statement, sw Switches) error {
	if !st.first("SELECT") && !st.first("(") {
		return nil
	}
	for i, t := range st.toks {
		if t.depth != 0 {
			continue
		}
		var end int
		switch {
		case t.is("FOR") && i+1 < len(st.toks) && (st.toks[i+1].is("UPDATE") || st.toks[i+1].is("SHARE")):
			end = i + 2
			for end < len(st.toks) && (st.toks[end].is("NOWAIT") || st.toks[end].is("SKIP") || st.toks[end].is("LOCKED") ||
				st.toks[end].is("WAIT") || st.toks[end].is("OF")) {
				end++
				if st.toks[end-1].is("WAIT") && end < len(st.toks) {
					end++ // WAIT n
				}
			}
		case t.is("LOCK") && i+3 < len(st.toks) && st.toks[i+1].is("IN") && st.toks[i+2].is("SHARE") && st.toks[i+3].is("MODE"):
			end = i + 4
		default:
			continue
		}
		if sw.LockingReads == "strip" {
			st.setText(cut(st.text, [][2]int{{t.pos, st.toks[end-1].end}}))
			return nil
		}
		return refuse(codeNotSupported, pageOtherSQL, "locking read %q is not supported; read without a lock",
			st.text[t.pos:st.toks[end-1].end])
	}
	return nil
}

func ruleKillProcess(st *statement, sw Switches) error {
	if st.first("KILL", "PROCESS") {
		st.setText("KILL CONNECTION " + st.text[st.toks[1].end:])
		st.killProcess = true
	}
	return nil
}

func ruleKillMySQL(st *statement, sw Switches) error {
	if !st.first("KILL") || st.killProcess {
		return nil
	}
	if sw.MySQLKill == "allow" {
		return nil
	}
	return refuse(codeNotSupported, pageKill, "%q is not documented; use KILL PROCESS <id> with an id from SHOW PROCESSLIST", st.text)
}

func ruleStoredPrograms(st *statement, sw Switches) error {
	switch kind := st.creates(); kind {
	case "TRIGGER", "EVENT", "PROCEDURE", "FUNCTION":
		if st.first("DROP") {
			return nil // nothing to drop, but harmless
		}
		return refuse(codeNotSupported, pageDDL, "%s is not supported; do the work in the client", kind)
	}
	return nil
}

// clusteredKey, withAnalyzer and storageOptions are AnalyticDB's syntax that MariaDB lacks:
// index kinds and table options of its own storage ("CREATE TABLE").
var (
	clusteredKey   = regexp.MustCompile(`(?i)\bCLUSTERED\s+(KEY|INDEX)\b`)
	withAnalyzer   = regexp.MustCompile(`(?i)\s+WITH\s+ANALYZER\s+\w+`)
	storageOptions = regexp.MustCompile(`(?i)\s+(?:INDEX_ALL|STORAGE_POLICY|HOT_PARTITION_COUNT|BLOCK_SIZE|TABLE_PROPERTIES|ENGINE)\s*=\s*(?:'(?:[^']|'')*'|\w+)`)
)

// indexSyntax turns AnalyticDB's CLUSTERED KEY into a KEY, drops a full-text index's WITH
// ANALYZER and the storage options (INDEX_ALL, STORAGE_POLICY, HOT_PARTITION_COUNT,
// BLOCK_SIZE, TABLE_PROPERTIES, ENGINE='XUANWU'), so that MariaDB creates a plain table
// with plain indexes. The front accepts them and enforces nothing of them (docs/adb.md).
func indexSyntax(text string) string {
	text = clusteredKey.ReplaceAllString(text, "$1")
	text = withAnalyzer.ReplaceAllString(text, "")
	return storageOptions.ReplaceAllString(text, "")
}

func ruleTableClauses(st *statement, sw Switches) error {
	isCreate, isAlter := st.first("CREATE") && st.creates() == "TABLE", st.first("ALTER") && st.creates() == "TABLE"
	if st.first("DROP") && st.creates() == "TABLE" {
		node, err := st.ddl()
		if err != nil || node == nil {
			return err
		}
		for _, name := range node.(*ast.DropTableStmt).Tables {
			ref := st.qualify(name)
			st.after = append(st.after, func(ctx context.Context, s *session) error { return s.f.meta.drop(ctx, ref) })
		}
		return nil
	}
	if !isCreate && !isAlter {
		return nil
	}
	// A clustered index and a full-text index's analyzer are AnalyticDB index syntax
	// ("CREATE TABLE") that MariaDB lacks: the index is created as a plain one.
	if text := indexSyntax(st.text); text != st.text {
		st.setText(text)
	}
	// The clauses follow the column list (CREATE) or the table name (ALTER).
	from := -1
	for i, t := range st.toks {
		if isCreate && t.text == "(" && t.depth == 0 {
			from = closing(st.toks, i) + 1
			break
		}
		if isAlter && t.is("TABLE") {
			if _, next, ok := tableName(st.toks, i+1); ok {
				from = next
			}
			break
		}
	}
	if from <= 0 {
		return nil
	}
	text, clauses, err := stripClauses(st.text, st.toks, from)
	if err != nil || clauses.empty() {
		return err
	}
	if st.prepare {
		return refuse(codeNotSupported, pageCreate, "the emulator takes AnalyticDB table clauses only in plain (not prepared) statements")
	}
	st.setText(text)
	node, err := st.ddl()
	if err != nil {
		return err
	}
	var ref tableRef
	switch n := node.(type) {
	case *ast.CreateTableStmt:
		ref = st.qualify(n.Table)
		st.after = append(st.after, func(ctx context.Context, s *session) error { return s.f.meta.put(ctx, ref, clauses) })
	case *ast.AlterTableStmt:
		ref = st.qualify(n.Table)
		if len(n.Specs) == 0 || len(n.Specs) == 1 && n.Specs[0].Tp == ast.AlterTableOption && len(n.Specs[0].Options) == 0 {
			st.setText("DO 0") // only AnalyticDB clauses: nothing for MariaDB
		}
		st.after = append(st.after, func(ctx context.Context, s *session) error {
			old, err := s.f.meta.get(ctx, ref)
			if err != nil {
				return err
			}
			return s.f.meta.put(ctx, ref, old.merge(clauses))
		})
	}
	return nil
}

func ruleShowCreateTable(st *statement, sw Switches) error {
	if !st.first("SHOW", "CREATE", "TABLE") || st.prepare {
		return nil
	}
	ref, next, ok := tableName(st.toks, 3)
	if !ok || next != len(st.toks) && st.toks[next].text != ";" {
		return nil
	}
	if ref.Schema == "" {
		ref.Schema = st.db
	}
	st.answer = func(ctx context.Context, s *session) ([]string, [][]string, error) {
		return s.f.meta.showCreateTable(ctx, ref)
	}
	return nil
}

// columns returns the column definitions a CREATE or ALTER TABLE adds or
// changes.
func columns(node ast.StmtNode) []*ast.ColumnDef {
	switch n := node.(type) {
	case *ast.CreateTableStmt:
		return n.Cols
	case *ast.AlterTableStmt:
		var cols []*ast.ColumnDef
		for _, spec := range n.Specs {
			for _, col := range spec.NewColumns {
				if col.Tp != nil { // ALTER COLUMN ... SET DEFAULT names a column without a type
					cols = append(cols, col)
				}
			}
		}
		return cols
	}
	return nil
}

// eachColumn runs check on every column the DDL statement defines.
func eachColumn(st *statement, check func(col *ast.ColumnDef) error) error {
	node, err := st.ddl()
	if err != nil {
		return err
	}
	for _, col := range columns(node) {
		if err := check(col); err != nil {
			return err
		}
	}
	return nil
}

func ruleTypesAbsent(st *statement, sw Switches) error {
	return eachColumn(st, func(col *ast.ColumnDef) error {
		remedy := map[byte]string{mysql.TypeEnum: "VARCHAR holding the member text", mysql.TypeSet: "VARCHAR holding the member text",
			mysql.TypeBit: "VARCHAR (as DTS maps it)", mysql.TypeYear: "INT or SMALLINT"}[col.Tp.GetType()]
		if remedy == "" {
			return nil
		}
		return refuse(codeNotSupported, pageTypes, "column %s: type %s is not supported; use %s", quoteName(col.Name.Name.O), col.Tp.String(), remedy)
	})
}

func ruleTypesUnsigned(st *statement, sw Switches) error {
	return eachColumn(st, func(col *ast.ColumnDef) error {
		if !mysql.HasUnsignedFlag(col.Tp.GetFlag()) {
			return nil
		}
		return refuse(codeNotSupported, pageTypes, "column %s: UNSIGNED is not supported; use the next wider signed type (DTS: TINYINT UNSIGNED to SMALLINT, SMALLINT UNSIGNED to INT, INT UNSIGNED to BIGINT, BIGINT UNSIGNED to DECIMAL(20,0))", quoteName(col.Name.Name.O))
	})
}

func ruleDecimal38(st *statement, sw Switches) error {
	return eachColumn(st, func(col *ast.ColumnDef) error {
		if col.Tp.GetType() != mysql.TypeNewDecimal || col.Tp.GetFlen() <= 38 {
			return nil
		}
		return refuse(codeNotSupported, pageTypes, "column %s: DECIMAL precision %d is over 38; use DECIMAL(38,s) or DOUBLE, or VARCHAR to keep every digit", quoteName(col.Name.Name.O), col.Tp.GetFlen())
	})
}

func ruleMySQLTypeNames(st *statement, sw Switches) error {
	if sw.MySQLTypeNames == "accept" {
		return nil
	}
	return eachColumn(st, func(col *ast.ColumnDef) error {
		var use string
		switch col.Tp.GetType() {
		case mysql.TypeString:
			if mysql.HasBinaryFlag(col.Tp.GetFlag()) && col.Tp.GetCharset() == "binary" {
				return nil // BINARY
			}
			use = "VARCHAR"
		case mysql.TypeTinyBlob, mysql.TypeBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob:
			use = "VARCHAR"
			if col.Tp.GetCharset() == "binary" {
				use = "BINARY"
			}
		case mysql.TypeVarchar:
			if col.Tp.GetCharset() != "binary" {
				return nil
			}
			use = "BINARY"
		case mysql.TypeInt24:
			use = "INT"
		default:
			return nil
		}
		return refuse(codeNotSupported, pageTypes, "column %s: type %s is not an AnalyticDB type name; use %s", quoteName(col.Name.Name.O), col.Tp.String(), use)
	})
}

func ruleMilliseconds(st *statement, sw Switches) error {
	return eachColumn(st, func(col *ast.ColumnDef) error {
		switch col.Tp.GetType() {
		case mysql.TypeDuration, mysql.TypeDatetime, mysql.TypeTimestamp:
			if col.Tp.GetDecimal() > 3 {
				col.Tp.SetDecimal(3) // MariaDB then truncates to milliseconds
				st.nodeEdited = true
			}
		}
		return nil
	})
}

// valueTriggers schedules, once per statement, the (re)installation of the
// value-rule triggers after a CREATE or ALTER TABLE, and reports whether the
// statement is one. The installed triggers carry the parts whose flags the
// rules set.
func valueTriggers(st *statement) (bool, error) {
	node, err := st.ddl()
	if err != nil {
		return false, err
	}
	var ref tableRef
	switch n := node.(type) {
	case *ast.CreateTableStmt:
		ref = st.qualify(n.Table)
	case *ast.AlterTableStmt:
		ref = st.qualify(n.Table)
	default:
		return false, nil
	}
	if !st.triggersScheduled {
		st.triggersScheduled = true
		st.after = append(st.after, func(ctx context.Context, s *session) error {
			return installTriggers(ctx, s.f.admin, ref, st.triggerZeroDate, st.triggerTimeRange)
		})
	}
	return true, nil
}

func ruleZeroDate(st *statement, sw Switches) error {
	ok, err := valueTriggers(st)
	st.triggerZeroDate = ok
	return err
}

func ruleTimeRange(st *statement, sw Switches) error {
	ok, err := valueTriggers(st)
	st.triggerTimeRange = ok
	return err
}

// secondaryIndexes returns the index definitions (not primary keys) a DDL
// statement adds.
func secondaryIndexes(node ast.StmtNode) []*ast.Constraint {
	var out []*ast.Constraint
	add := func(cs ...*ast.Constraint) {
		for _, c := range cs {
			if c != nil && c.Tp != ast.ConstraintPrimaryKey && c.Tp != ast.ConstraintCheck && c.Tp != ast.ConstraintForeignKey {
				out = append(out, c)
			}
		}
	}
	switch n := node.(type) {
	case *ast.CreateTableStmt:
		add(n.Constraints...)
	case *ast.AlterTableStmt:
		for _, spec := range n.Specs {
			add(spec.Constraint)
			add(spec.NewConstraints...)
		}
	case *ast.CreateIndexStmt:
		tp := ast.ConstraintIndex
		switch n.KeyType {
		case ast.IndexKeyTypeUnique:
			tp = ast.ConstraintUniq
		case ast.IndexKeyTypeFulltext:
			tp = ast.ConstraintFulltext
		case ast.IndexKeyTypeSpatial:
			tp = ast.ConstraintNoConstraint // marks spatial below
		}
		add(&ast.Constraint{Tp: tp, Name: n.IndexName, Keys: n.IndexPartSpecifications})
	}
	return out
}

func ruleSecondaryIndex(st *statement, sw Switches) error {
	node, err := st.ddl()
	if err != nil || node == nil {
		return err
	}
	for _, col := range columns(node) {
		for _, opt := range col.Options {
			if opt.Tp == ast.ColumnOptionUniqKey {
				return refuse(codeNotSupported, pageDDL, "column %s: UNIQUE is not supported; only the primary key is unique", quoteName(col.Name.Name.O))
			}
		}
	}
	for _, c := range secondaryIndexes(node) {
		name := quoteName(c.Name)
		switch {
		case c.Tp == ast.ConstraintUniq || c.Tp == ast.ConstraintUniqKey || c.Tp == ast.ConstraintUniqIndex:
			return refuse(codeNotSupported, pageDDL, "unique index %s is not supported; only the primary key is unique", name)
		case c.Tp == ast.ConstraintNoConstraint:
			return refuse(codeNotSupported, pageDDL, "spatial index %s is not supported", name)
		case c.Tp == ast.ConstraintFulltext:
			continue // a full-text index is its own AnalyticDB feature
		case len(c.Keys) != 1:
			return refuse(codeNotSupported, pageDDL, "index %s covers %d columns; a secondary index covers one column: create one index per column", name, len(c.Keys))
		case c.Keys[0].Expr != nil:
			return refuse(codeNotSupported, pageDDL, "index %s is on an expression; index a column", name)
		case c.Keys[0].Length > 0:
			return refuse(codeNotSupported, pageDDL, "index %s is a prefix index; index the whole column", name)
		}
	}
	return nil
}

func ruleForeignKeys(st *statement, sw Switches) error {
	node, err := st.ddl()
	if err != nil || node == nil {
		return err
	}
	var cs []*ast.Constraint
	switch n := node.(type) {
	case *ast.CreateTableStmt:
		cs = n.Constraints
	case *ast.AlterTableStmt:
		for _, spec := range n.Specs {
			cs = append(append(cs, spec.Constraint), spec.NewConstraints...)
		}
	}
	for _, c := range cs {
		if c != nil && c.Tp == ast.ConstraintForeignKey {
			return refuse(codeNotSupported, pageDDL, "foreign key %s is not supported; check references in the client", quoteName(c.Name))
		}
	}
	for _, col := range columns(node) {
		for _, opt := range col.Options {
			if opt.Tp == ast.ColumnOptionReference {
				return refuse(codeNotSupported, pageDDL, "column %s: REFERENCES (a foreign key) is not supported", quoteName(col.Name.Name.O))
			}
		}
	}
	return nil
}

// alterSpecs returns the specs of an ALTER TABLE, nil for other statements.
func alterSpecs(st *statement) ([]*ast.AlterTableSpec, error) {
	node, err := st.ddl()
	if err != nil {
		return nil, err
	}
	if n, ok := node.(*ast.AlterTableStmt); ok {
		return n.Specs, nil
	}
	return nil, nil
}

func ruleAddColumnPosition(st *statement, sw Switches) error {
	specs, err := alterSpecs(st)
	for _, spec := range specs {
		if spec.Tp == ast.AlterTableAddColumns && spec.Position != nil && spec.Position.Tp != ast.ColumnPositionNone {
			return refuse(codeNotSupported, pageDDL, "ADD COLUMN with FIRST or AFTER is not supported; add the column at the end")
		}
	}
	return err
}

func ruleAddColumnOne(st *statement, sw Switches) error {
	specs, err := alterSpecs(st)
	n := 0
	for _, spec := range specs {
		if spec.Tp == ast.AlterTableAddColumns {
			n += len(spec.NewColumns)
		}
	}
	if n > 1 {
		return refuse(codeNotSupported, pageDDL, "ALTER TABLE adds %d columns; add one column per statement", n)
	}
	return err
}

func ruleAlterColumnDefault(st *statement, sw Switches) error {
	specs, err := alterSpecs(st)
	for _, spec := range specs {
		if spec.Tp == ast.AlterTableAlterColumn {
			return refuse(codeNotSupported, pageDDL, "ALTER COLUMN ... SET/DROP DEFAULT is not supported; change the default with MODIFY COLUMN")
		}
	}
	return err
}

func ruleFourByteUTF8(st *statement, sw Switches) error {
	if sw.FourByteUTF8 != "refuse" {
		return nil
	}
	node, err := st.ddl()
	if err != nil || node == nil {
		return err
	}
	for _, col := range columns(node) {
		if strings.HasPrefix(col.Tp.GetCharset(), "utf8mb4") {
			col.Tp.SetCharset("utf8mb3")
			col.Tp.SetCollate("")
			st.nodeEdited = true
		}
		kept := col.Options[:0]
		for _, opt := range col.Options {
			if opt.Tp == ast.ColumnOptionCollate && strings.HasPrefix(opt.StrValue, "utf8mb4") {
				st.nodeEdited = true
				continue
			}
			kept = append(kept, opt)
		}
		col.Options = kept
	}
	if n, ok := node.(*ast.CreateTableStmt); ok {
		var opts []*ast.TableOption
		for _, o := range n.Options {
			if o.Tp != ast.TableOptionCharset && o.Tp != ast.TableOptionCollate {
				opts = append(opts, o)
			}
		}
		n.Options = append(opts, &ast.TableOption{Tp: ast.TableOptionCharset, StrValue: "utf8mb3"})
		st.nodeEdited = true
	}
	return nil
}

// ruleInsertIgnore makes MariaDB skip a duplicate key the way the page
// says, with "ON DUPLICATE KEY UPDATE pk = pk" rather than INSERT IGNORE:
// IGNORE would also turn every data error (a bad date, a 4-byte character
// in a utf8mb3 column) into a warning, which the page does not say.
func ruleInsertIgnore(st *statement, sw Switches) error {
	if !st.first("INSERT") {
		return nil
	}
	i := 1
	for i < len(st.toks) && (st.toks[i].is("LOW_PRIORITY") || st.toks[i].is("DELAYED") || st.toks[i].is("HIGH_PRIORITY")) {
		i++
	}
	if i < len(st.toks) && st.toks[i].is("IGNORE") {
		return nil
	}
	if i < len(st.toks) && st.toks[i].is("INTO") {
		i++
	}
	ref, _, ok := tableName(st.toks, i)
	if !ok {
		return nil
	}
	if ref.Schema == "" {
		ref.Schema = st.db
	}
	end := len(st.toks)
	for j, t := range st.toks {
		if t.depth == 0 && t.is("ON") && j+1 < len(st.toks) && st.toks[j+1].is("DUPLICATE") {
			return nil // ON DUPLICATE KEY UPDATE says what to do with a duplicate
		}
		if t.depth == 0 && t.text == ";" {
			end = j
			break
		}
	}
	if st.primaryKey == nil || end == 0 {
		return nil
	}
	pk, err := st.primaryKey(ref)
	if err != nil || pk == "" {
		return err // no primary key: no duplicate to skip
	}
	// Qualified: in INSERT ... SELECT the selected tables may have a column of that name.
	col := ref.String() + "." + quoteName(pk)
	at := st.toks[end-1].end
	st.setText(st.text[:at] + " ON DUPLICATE KEY UPDATE " + col + " = " + col + st.text[at:])
	return nil
}

func ruleLoadData(st *statement, sw Switches) error {
	if !st.first("LOAD", "DATA") {
		return nil
	}
	toks, i := st.toks, 2
	word := func(words ...string) bool {
		for k, w := range words {
			if i+k >= len(toks) || !toks[i+k].is(w) {
				return false
			}
		}
		i += len(words)
		return true
	}
	str := func() bool {
		if i < len(toks) && toks[i].isString() {
			i++
			return true
		}
		return false
	}
	fail := func() error {
		near := "the end"
		if i < len(toks) {
			near = fmt.Sprintf("%q", st.text[toks[i].pos:min(len(st.text), toks[i].pos+30)])
		}
		return refuse(codeSyntax, pageLoadData, "LOAD DATA near %s is outside the documented grammar (no CHARACTER SET, ESCAPED BY, STARTING BY or SET); use only %s",
			near, "LOAD DATA LOCAL INFILE 'f' [REPLACE|IGNORE] INTO TABLE t [FIELDS [TERMINATED BY 's'] [[OPTIONALLY] ENCLOSED BY 'c']] [LINES [TERMINATED BY 's']] [IGNORE n LINES] [(columns)]")
	}
	if !word("LOCAL") || !word("INFILE") || !str() {
		return fail()
	}
	_ = word("REPLACE") || word("IGNORE")
	if !word("INTO", "TABLE") {
		return fail()
	}
	if _, next, ok := tableName(toks, i); ok {
		i = next
	} else {
		return fail()
	}
	if word("FIELDS") || word("COLUMNS") {
		n := 0
		if word("TERMINATED", "BY") {
			if !str() {
				return fail()
			}
			n++
		}
		_ = word("OPTIONALLY")
		if word("ENCLOSED", "BY") {
			if !str() {
				return fail()
			}
			n++
		}
		if n == 0 {
			return fail()
		}
	}
	if word("LINES") {
		if !word("TERMINATED", "BY") || !str() {
			return fail()
		}
	}
	if word("IGNORE") {
		if i >= len(toks) || strings.Trim(toks[i].text, "0123456789") != "" {
			return fail()
		}
		i++
		if !word("LINES") && !word("ROWS") {
			return fail()
		}
	}
	if i < len(toks) && toks[i].text == "(" {
		j := closing(toks, i)
		if j < 0 {
			return fail()
		}
		for k := i + 1; k < j; k++ {
			if toks[k].text != "," && !isIdent(toks[k]) {
				i = k
				return fail()
			}
		}
		i = j + 1
	}
	if i < len(toks) && toks[i].text == ";" {
		i++
	}
	if i != len(toks) {
		return fail()
	}
	return nil
}
