package dialect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// DatabaseType is a kind of database, as a connection's database_type names it: the name
// of its dialect.
type DatabaseType = vocab.DatabaseType

// Database types, the names of the dialects and the values of Table.SourceFlavor.
const (
	MySQL    = vocab.DatabaseMySQL
	MariaDB  = vocab.DatabaseMariaDB
	ADBMySQL = vocab.DatabaseADBMySQL3
)

// Table is what a dialect needs to create one destination table. Every name in it is a
// destination name: the caller has applied renames and column subsets before.
type Table struct {
	Database, Name string
	// Columns in order, already renamed and subsetted. A Definition that names other columns
	// (a generated column's expression) must have been rewritten with RenameIdents.
	Columns []Column
	// PrimaryKey holds the destination column names of the primary key; empty for none.
	PrimaryKey []string
	// Indexes are the secondary indexes and CHECK constraints, in order.
	Indexes []Index
	// Options is the source's table options text (what SHOW CREATE TABLE prints after the
	// column list); each dialect decides what to keep of it, depending on SourceFlavor.
	Options string
	// SourceFlavor is where Options and the index texts come from: MySQL, MariaDB or
	// ADBMySQL.
	SourceFlavor DatabaseType

	// The destination table fields of the task (the seed's "Configure Database and Table
	// Fields"), named in errors as the task names them.

	TableType          string   // table_type: "" | "fact" | "dimension"
	DistributionKey    []string // distribution_key
	PartitionKey       string   // partition_key
	PartitionRule      string   // partition_rule: "" or "value" (VALUE(col)), "day", "month", "year" (VALUE(DATE_FORMAT(col, ...)))
	PartitionLifecycle int      // partition_lifecycle: 0 for none
}

// Column is one destination column.
type Column struct {
	Name string
	// Definition is everything after the name, as SHOW CREATE TABLE prints it:
	// "int(11) NOT NULL AUTO_INCREMENT".
	Definition string
}

// Index is one secondary index or CHECK constraint.
type Index struct {
	// Kind is "KEY", "UNIQUE", "FULLTEXT", "SPATIAL", "CLUSTERED" (AnalyticDB) or "CHECK".
	Kind string
	// Name is the index or constraint name; "" for none.
	Name string
	// Columns holds the destination column of each key part, in order. It is nil for
	// CHECK and for an index with expression parts: Raw is then rendered as written, so
	// the caller renames the columns in Raw with RenameIdents.
	Columns []string
	// Raw is the source line of the index. The dialect renders the index from Kind, Name
	// and Columns, and takes from Raw what they cannot say: each part's prefix length and
	// direction ("(10)", " DESC") when Raw has as many parts as Columns, and the index
	// options after the part list (USING BTREE, COMMENT '...'). Raw may be empty.
	Raw string
}

// Dialect renders the statements that differ between kinds of destination: the tables a task
// creates, the changes incremental migration applies, and the checkpoint tables.
// Implementations are stateless and safe for concurrent use.
type Dialect interface {
	// Name is the database type: MySQL, MariaDB or ADBMySQL.
	Name() DatabaseType
	// Validate reports, before anything is created, every destination field this dialect
	// cannot express and every rule the table breaks. The error joins *FieldError values,
	// each naming the table and the field and saying what to do.
	Validate(t Table) error
	// CreateTable returns the CREATE TABLE statement for t, qualified with t.Database. It
	// calls Validate first and returns its error.
	CreateTable(t Table) (string, error)
	// CreateDatabase returns the statement that creates a database if it does not exist.
	CreateDatabase(name string) string

	// BulkLoad returns the statement that loads the rows streamed by the client-side reader
	// named reader (registered with the driver) into l's table, one row a line in the
	// format of AppendLoadField.
	BulkLoad(l Load, reader string) string
	// Insert returns a multi-row INSERT of rows rows into l's table, one placeholder a value;
	// the writer falls back to it where the destination refuses BulkLoad.
	Insert(l Load, rows int) string

	// RowText returns an expression of a row's columns (in order) as one string that two
	// rows share only when every column holds the same value. Verification computes it
	// the same way on the source and the destination.
	RowText(cols []RowColumn) string
	// RowHash returns a per-row hash of a RowText expression.
	RowHash(row string) string
	// ChunkChecksum returns the query that answers, for the rows the FROM clause from
	// selects (table and WHERE), their count, the sum of a 32-bit hash of the row
	// expression row and the sum of that hash's squares, each as a decimal.
	ChunkChecksum(row, from string) string
	// Incremental migration (apply.go). Names are destination names, unquoted; every value
	// is a placeholder.

	// TextValue is the expression that turns a placeholder holding a character column's
	// bytes into text of its character set and collation (collation "" for the character
	// set's default), so that a where filter compares it as the source's SELECT does.
	TextValue(charset, collation string) string
	// MemberValue is the expression that turns a placeholder holding an ENUM's index (set
	// false) or a SET's bit mask (set true), as the binlog gives them, into the member text
	// the column reads as, in its character set and collation, so that a where filter
	// compares it as the source's SELECT does (status = 'active').
	MemberValue(members []string, set bool, charset, collation string) string
	// Upsert writes rows rows of columns into database.table, each replacing the row with
	// the same key: one placeholder per value, row after row.
	Upsert(database, table string, columns []string, rows int) string
	// DeleteByKey deletes rows rows, each named by the values of the key columns, in key
	// order, row after row.
	DeleteByKey(database, table string, key []string, rows int) string
	// AddColumn adds a column; definition is its name and definition as the source's DDL
	// wrote them. A dialect may ignore pos (see its doc).
	AddColumn(database, table, definition string, pos ColumnPosition) string
	// DropColumn drops a column.
	DropColumn(database, table, column string) string
	// ModifyColumn changes a column's type and attributes; definition is its name and
	// definition as the source's DDL wrote them. A dialect may ignore pos (see its doc).
	ModifyColumn(database, table, definition string, pos ColumnPosition) string
	// RenameColumn renames a column, keeping its definition.
	RenameColumn(database, table, from, to string) string
	// SetColumnDefault sets a column's default to expr, an SQL expression as the source's
	// DDL wrote it; DropColumnDefault removes it. current is the column's definition on the
	// destination without its default (type, NULL or NOT NULL, COMMENT), for a dialect that
	// changes a default by restating the column (ColumnDefaultByModify); "" otherwise.
	SetColumnDefault(database, table, column, current, expr string) string
	DropColumnDefault(database, table, column, current string) string
	// ColumnDefaultByModify reports whether SetColumnDefault and DropColumnDefault need the
	// column's current definition.
	ColumnDefaultByModify() bool
	// AddIndex adds a secondary index (KEY, UNIQUE, FULLTEXT, SPATIAL) on destination
	// columns; the source's index options are in ix.Raw, as for CreateTable. It returns
	// ok false, and no statement, for an index the destination does not create (see the
	// dialect's doc).
	AddIndex(database, table string, ix Index, sourceFlavor DatabaseType) (stmt string, ok bool, err error)
	// DropIndex drops an index by name.
	DropIndex(database, table, name string) string
	// DeferIndexes returns the statements with which a full load into an empty table builds
	// secondary indexes after the rows rather than during the load: drop drops the indexes
	// named names, add adds back those given by lines (as the destination's SHOW CREATE
	// TABLE prints them), each in one statement. It returns ok false when the destination
	// gains nothing by it (see the dialect's doc).
	DeferIndexes(database, table string, names, lines []string) (drop, add string, ok bool)
	// TableOptions changes the table options the destination supports among opts (as
	// SplitOptions returns them); it returns the statement ("" when none applies) and the
	// options it left out.
	TableOptions(database, table string, opts []Option) (stmt string, left []Option)
	// CreateTableLike creates table like an existing destination table, if it does not
	// exist.
	CreateTableLike(database, table, likeDatabase, likeTable string) string
	// DropTable drops a table if it exists; TruncateTable empties it.
	DropTable(database, table string) string
	TruncateTable(database, table string) string
	// RenameTable renames (and may move to another database) a table.
	RenameTable(fromDatabase, from, toDatabase, to string) string

	// Checkpoint tables (checkpoint.go).

	// CreateMetaTable creates t if it does not exist.
	CreateMetaTable(t MetaTable) string
	// AddMetaColumn adds column c to a meta table created before c existed.
	AddMetaColumn(database, table string, c MetaColumn) string
}

// For returns the dialect of a destination database type.
func For(databaseType DatabaseType) (Dialect, error) {
	switch databaseType {
	case MySQL, MariaDB:
		return mysqlDialect{name: databaseType}, nil
	case ADBMySQL:
		return adbDialect{}, nil
	}
	return nil, fmt.Errorf("unknown destination database type %q: use one of %s, %s, %s", databaseType, MySQL, MariaDB, ADBMySQL)
}

// FieldError is a destination table field that a dialect cannot express, or a rule the
// table breaks. Callers can map Field to the task's attribute with errors.As.
type FieldError struct {
	Database, Table string
	// Field is the task's name for what is wrong: "distribution_key", "partition_key",
	// "partition_rule", "partition_lifecycle", "table_type", "primary_key" or "columns";
	// or, for what the engine passed rather than the user set, "name", "indexes",
	// "options" (the source's table options) or "source_flavor".
	Field string
	// Message says what is wrong and what to do.
	Message string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("table %s: %s: %s", QuoteTable(e.Database, e.Table), e.Field, e.Message)
}

// Table types and partition rules the task may set.
const (
	TableTypeFact      = "fact"
	TableTypeDimension = "dimension"

	PartitionValue = "value"
	PartitionDay   = "day"
	PartitionMonth = "month"
	PartitionYear  = "year"
)

// partitionFormats are the DATE_FORMAT patterns of the date partition rules.
var partitionFormats = map[string]string{
	PartitionDay:   "%Y%m%d",
	PartitionMonth: "%Y%m",
	PartitionYear:  "%Y",
}

// validator collects the FieldErrors of one table.
type validator struct {
	t    Table
	errs []error
}

func (v *validator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Database: v.t.Database, Table: v.t.Name, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error { return errors.Join(v.errs...) }

// validateCommon checks the rules every dialect shares: names present and unique, every
// key and index column among the columns, valid field values, partition settings that
// need a partition key, and a composite primary key that includes the distribution and
// partition keys (the seed: "at least one of these columns must also be set as the
// Distribution Key and Partition Key"; we require all of them, as AnalyticDB does).
func validateCommon(v *validator) {
	t := v.t
	if t.Database == "" || t.Name == "" {
		v.fail("name", "the destination database and table names must not be empty")
	}
	switch t.SourceFlavor {
	case MySQL, MariaDB, ADBMySQL:
	default:
		v.fail("source_flavor", "unknown source flavor %q: the engine must say whether the definition comes from %s, %s or %s", t.SourceFlavor, MySQL, MariaDB, ADBMySQL)
	}
	if len(t.Columns) == 0 {
		v.fail("columns", "no columns to create: select at least one column of the table")
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		k := strings.ToLower(c.Name)
		if c.Name == "" {
			v.fail("columns", "a column has an empty name: check the column rename_to values")
		} else if seen[k] {
			v.fail("columns", "column %s appears twice: check the column rename_to values", QuoteIdent(c.Name))
		}
		seen[k] = true
		if strings.TrimSpace(c.Definition) == "" {
			v.fail("columns", "column %s has no definition", QuoteIdent(c.Name))
		}
	}
	has := func(name string) bool { return seen[strings.ToLower(name)] }
	missing := func(names []string) []string {
		var out []string
		for _, n := range names {
			if !has(n) {
				out = append(out, n)
			}
		}
		return out
	}
	if m := missing(t.PrimaryKey); len(m) > 0 {
		v.fail("primary_key", "column(s) %s are not among the migrated columns: add them to the table's columns or change primary_key", QuoteIdents(m))
	}
	if m := missing(t.DistributionKey); len(m) > 0 {
		v.fail("distribution_key", "column(s) %s are not among the migrated columns: add them to the table's columns or change distribution_key", QuoteIdents(m))
	}
	if t.PartitionKey != "" && !has(t.PartitionKey) {
		v.fail("partition_key", "column %s is not among the migrated columns: add it to the table's columns or change partition_key", QuoteIdent(t.PartitionKey))
	}
	for _, ix := range t.Indexes {
		if m := missing(ix.Columns); len(m) > 0 {
			v.fail("indexes", "%s uses column(s) %s that are not migrated: migrate them too, or leave the index out", indexLabel(ix), QuoteIdents(m))
		}
		switch ix.Kind {
		case "KEY", "UNIQUE", "FULLTEXT", "SPATIAL", "CLUSTERED", "CHECK":
		default:
			v.fail("indexes", "%s has unknown kind %q: use KEY, UNIQUE, FULLTEXT, SPATIAL, CLUSTERED or CHECK", indexLabel(ix), ix.Kind)
		}
	}

	switch t.TableType {
	case "", TableTypeFact:
	case TableTypeDimension:
		if len(t.DistributionKey) > 0 {
			v.fail("distribution_key", "a dimension table is copied to every node and has no distribution key: remove distribution_key or set table_type to %q", TableTypeFact)
		}
	default:
		v.fail("table_type", "unknown table type %q: use %q or %q", t.TableType, TableTypeFact, TableTypeDimension)
	}
	switch t.PartitionRule {
	case "", PartitionValue, PartitionDay, PartitionMonth, PartitionYear:
		if t.PartitionRule != "" && t.PartitionKey == "" {
			v.fail("partition_rule", "partition_rule %q needs a partition_key: set partition_key or remove partition_rule", t.PartitionRule)
		}
	default:
		v.fail("partition_rule", "unknown partition rule %q: use %q, %q, %q or %q", t.PartitionRule, PartitionValue, PartitionDay, PartitionMonth, PartitionYear)
	}
	switch {
	case t.PartitionLifecycle < 0:
		v.fail("partition_lifecycle", "partition_lifecycle must be at least 1, not %d", t.PartitionLifecycle)
	case t.PartitionLifecycle > 0 && t.PartitionKey == "":
		v.fail("partition_lifecycle", "partition_lifecycle needs a partition_key: set partition_key or remove partition_lifecycle")
	}
	if len(t.PrimaryKey) > 1 {
		requirePrimaryKeyIncludes(v)
	}
}

// requirePrimaryKeyIncludes fails when the primary key lacks a distribution key column or
// the partition key.
func requirePrimaryKeyIncludes(v *validator) {
	t := v.t
	inPK := map[string]bool{}
	for _, c := range t.PrimaryKey {
		inPK[strings.ToLower(c)] = true
	}
	var lack []string
	for _, c := range t.DistributionKey {
		if !inPK[strings.ToLower(c)] {
			lack = append(lack, c)
		}
	}
	if t.PartitionKey != "" && !inPK[strings.ToLower(t.PartitionKey)] {
		lack = append(lack, t.PartitionKey)
	}
	if len(lack) > 0 {
		v.fail("primary_key", "the primary key (%s) must include every distribution key column and the partition key; it lacks %s: add them to primary_key",
			QuoteIdents(t.PrimaryKey), QuoteIdents(lack))
	}
}

// renderIndex renders one index in the family's words. heads maps Kind to the keywords
// that start the line; sameFamily says whether the source's index options apply as they
// are. The part list comes from Columns, with each part's suffix from Raw when Raw has as
// many column parts; without Columns it is Raw's list as written.
func renderIndex(ix Index, head string, sameFamily bool) (string, error) {
	var b strings.Builder
	b.WriteString(head)
	if ix.Name != "" {
		b.WriteString(" " + QuoteIdent(ix.Name))
	}
	kp, ok := parseKeyParts(ix.Raw)
	switch {
	case ix.Columns != nil:
		parts := make([]string, len(ix.Columns))
		for n, c := range ix.Columns {
			parts[n] = QuoteIdent(c)
			if ok && kp.idents != nil && len(kp.idents) == len(ix.Columns) {
				parts[n] += kp.suffix[n]
			}
		}
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	case ok:
		b.WriteString(" " + kp.list)
	default:
		return "", fmt.Errorf("%s has neither columns nor a part list in %q", indexLabel(ix), ix.Raw)
	}
	trailer := kp.trailer
	if !sameFamily {
		// Index options name features of the source's engine (USING BTREE, WITH PARSER,
		// KEY_BLOCK_SIZE, INVISIBLE on MySQL; WITH ANALYZER on AnalyticDB) that the other
		// family does not have; only a COMMENT means the same on both.
		trailer = commentOption(trailer)
	}
	if trailer != "" {
		b.WriteString(" " + trailer)
	}
	return b.String(), nil
}

// renderCheck renders a CHECK constraint from its Raw text, under its Name.
func renderCheck(ix Index) (string, error) {
	clause := checkClause(ix.Raw)
	if clause == "" {
		return "", fmt.Errorf("%s has no CHECK clause in %q", indexLabel(ix), ix.Raw)
	}
	if ix.Name != "" {
		return "CONSTRAINT " + QuoteIdent(ix.Name) + " " + clause, nil
	}
	return clause, nil
}

// renderCreate assembles a CREATE TABLE from its body lines and the text after the column
// list.
func renderCreate(t Table, body []string, after string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + QuoteTable(t.Database, t.Name) + " (\n  ")
	b.WriteString(strings.Join(body, ",\n  "))
	b.WriteString("\n)")
	if after != "" {
		b.WriteString(" " + after)
	}
	return b.String()
}

// columnLines renders the column lines and the primary key line of t.
func columnLines(t Table) []string {
	lines := make([]string, 0, len(t.Columns)+1+len(t.Indexes))
	for _, c := range t.Columns {
		lines = append(lines, QuoteIdent(c.Name)+" "+strings.TrimSpace(c.Definition))
	}
	if len(t.PrimaryKey) > 0 {
		lines = append(lines, "PRIMARY KEY ("+QuoteIdents(t.PrimaryKey)+")")
	}
	return lines
}

// sameFamily reports whether a source flavor writes SQL the destination family reads as
// it is: MySQL and MariaDB are one family, AnalyticDB another.
func sameFamily(sourceFlavor DatabaseType, destADB bool) bool {
	return (sourceFlavor == ADBMySQL) == destADB
}

// indexLabel names an index in messages.
func indexLabel(ix Index) string {
	if ix.Name == "" {
		return "an unnamed " + ix.Kind + " index"
	}
	return ix.Kind + " index " + QuoteIdent(ix.Name)
}

// computedTypes are the column types of the values an etl expression gives, by kind (see
// package etl), on MySQL and MariaDB and on AnalyticDB. A decimal keeps 30 fractional
// digits on MySQL, 10 on AnalyticDB, whose DECIMAL has at most 38 digits. AnalyticDB's
// VARCHAR and BINARY lengths are only syntax (values up to 16 MB); they are written, as for
// LONGTEXT and LONGBLOB, because the documented grammar shows them.
var computedTypes = map[string][2]string{
	"int":       {"bigint", "bigint"},
	"uint":      {"bigint unsigned", "decimal(20,0)"},
	"double":    {"double", "double"},
	"bool":      {"tinyint(1)", "boolean"},
	"decimal":   {"decimal(65,30)", "decimal(38,10)"},
	"string":    {"longtext", "varchar(16777216)"},
	"bytes":     {"longblob", "binary(16777216)"},
	"timestamp": {"datetime(6)", "datetime(3)"},
	"duration":  {"time(6)", "time"},
}

// ComputedColumnType is the type a destination of databaseType declares for a new column
// that an etl expression computes, by the kind of value the expression gives.
func ComputedColumnType(databaseType DatabaseType, kind string) string {
	t := computedTypes[kind]
	if databaseType == ADBMySQL {
		return t[1]
	}
	return t[0]
}

// ColumnAttributes renders a column's INVISIBLE and spatial reference (srid, its digits;
// "" for none) for a destination of flavor dest: afterType goes right after the column's
// type, trailing at the end of its definition, and dropped names each attribute the
// destination has no place for, to be reported. MySQL takes MySQL's words (SRID n,
// INVISIBLE); MariaDB takes INVISIBLE and REF_SYSTEM_ID=n, which it accepts only right
// after the type and keeps as the column's SRID in information_schema.GEOMETRY_COLUMNS
// without refusing values of another reference; AnalyticDB has neither (its columns are
// all visible), so the column lands visible and without a reference.
func ColumnAttributes(dest DatabaseType, invisible bool, srid string) (afterType, trailing string, dropped []string) {
	switch dest {
	case ADBMySQL:
		if invisible {
			dropped = append(dropped, "INVISIBLE (AnalyticDB has no invisible columns: the column is visible there)")
		}
		if srid != "" {
			dropped = append(dropped, "SRID "+srid+" (AnalyticDB's columns have no spatial reference)")
		}
		return "", "", dropped
	case MariaDB:
		if srid != "" {
			afterType = "REF_SYSTEM_ID=" + srid
		}
	default:
		if srid != "" {
			afterType = "SRID " + srid
		}
	}
	if invisible {
		trailing = "INVISIBLE"
	}
	return afterType, trailing, nil
}
