package dialect

import "strings"

// MetaTable is a table the engine keeps its own progress in on the destination (the
// checkpoint tables). Its columns have abstract types that each dialect renders as its
// destination accepts them.
type MetaTable struct {
	Database, Name string
	Columns        []MetaColumn
	// PrimaryKey names the key columns. Its first column spreads the rows over AnalyticDB's
	// nodes (the distribution key), so it should be the task id.
	PrimaryKey []string
}

// MetaColumn is one column of a MetaTable.
type MetaColumn struct {
	Name string
	Type MetaType
}

// MetaType is the kind of value a MetaColumn holds. Every type is NOT NULL unless its name
// says otherwise.
type MetaType int

const (
	// MetaName holds an identifier: a task id, a database or table name, a fingerprint.
	MetaName MetaType = iota + 1
	// MetaFile holds a binlog file name.
	MetaFile
	// MetaText holds text of any length (a GTID set).
	MetaText
	// MetaLongText holds long text (JSON of a table list).
	MetaLongText
	// MetaNullLongText is MetaLongText that may be NULL.
	MetaNullLongText
	// MetaInt holds a small number (a worker or chunk number).
	MetaInt
	// MetaBigint holds a 64-bit count or time, 0 by default.
	MetaBigint
	// MetaOffset holds a binlog offset.
	MetaOffset
	// MetaFlag holds 0 or 1, 0 by default.
	MetaFlag
	// MetaCreatedAt is the time a row was written, set by the server.
	MetaCreatedAt
	// MetaUpdatedAt is the time a row was last written, set by the server.
	MetaUpdatedAt
)

// mysqlMetaTypes are the MySQL and MariaDB column definitions of the meta types.
var mysqlMetaTypes = map[MetaType]string{
	MetaName:         "VARCHAR(64) NOT NULL",
	MetaFile:         "VARCHAR(255) NOT NULL",
	MetaText:         "TEXT NOT NULL",
	MetaLongText:     "MEDIUMTEXT NOT NULL",
	MetaNullLongText: "MEDIUMTEXT NULL",
	MetaInt:          "INT NOT NULL",
	MetaBigint:       "BIGINT NOT NULL DEFAULT 0",
	MetaOffset:       "BIGINT UNSIGNED NOT NULL",
	MetaFlag:         "TINYINT NOT NULL DEFAULT 0",
	MetaCreatedAt:    "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
	MetaUpdatedAt:    "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)",
}

// adbMetaTypes are the AnalyticDB column definitions of the meta types, from its basic data
// types: VARCHAR holds up to 16 MB and its length is only syntax (it stands for MySQL's
// TEXT and MEDIUMTEXT), written out for the parsers of MySQL's grammar; there is no
// UNSIGNED, and a binlog offset fits a BIGINT. A write time is set on insert only: the
// engine writes these tables' rows whole, by REPLACE INTO, except the copy progress of a
// chunk, which has no time column.
var adbMetaTypes = map[MetaType]string{
	MetaName:         "VARCHAR(64) NOT NULL",
	MetaFile:         "VARCHAR(255) NOT NULL",
	MetaText:         "VARCHAR(16777216) NOT NULL",
	MetaLongText:     "VARCHAR(16777216) NOT NULL",
	MetaNullLongText: "VARCHAR(16777216) NULL",
	MetaInt:          "INT NOT NULL",
	MetaBigint:       "BIGINT NOT NULL DEFAULT 0",
	MetaOffset:       "BIGINT NOT NULL",
	MetaFlag:         "TINYINT NOT NULL DEFAULT 0",
	MetaCreatedAt:    "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP",
	MetaUpdatedAt:    "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP",
}

func createMetaTable(t MetaTable, types map[MetaType]string, after string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(QuoteTable(t.Database, t.Name))
	b.WriteString(" (")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteIdent(c.Name) + " " + types[c.Type])
	}
	b.WriteString(", PRIMARY KEY (" + QuoteIdents(t.PrimaryKey) + "))")
	if after != "" {
		b.WriteString(" " + after)
	}
	return b.String()
}

func addMetaColumn(database, table string, c MetaColumn, types map[MetaType]string) string {
	return "ALTER TABLE " + QuoteTable(database, table) + " ADD COLUMN " + QuoteIdent(c.Name) + " " + types[c.Type]
}

func (mysqlDialect) CreateMetaTable(t MetaTable) string {
	return createMetaTable(t, mysqlMetaTypes, "")
}

func (mysqlDialect) AddMetaColumn(database, table string, c MetaColumn) string {
	return addMetaColumn(database, table, c, mysqlMetaTypes)
}

// CreateMetaTable distributes the rows by hash of the first key column (the task id):
// AnalyticDB needs the primary key, which includes the distribution key.
func (adbDialect) CreateMetaTable(t MetaTable) string {
	return createMetaTable(t, adbMetaTypes, "DISTRIBUTED BY HASH("+QuoteIdent(t.PrimaryKey[0])+")")
}

func (adbDialect) AddMetaColumn(database, table string, c MetaColumn) string {
	return addMetaColumn(database, table, c, adbMetaTypes)
}
