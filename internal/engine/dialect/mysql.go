package dialect

import (
	"fmt"
	"strings"
)

// mysqlDialect renders tables for MySQL and MariaDB destinations. The two read the same
// CREATE TABLE but for the features crossFamily maps between them; name is the
// destination's type.
type mysqlDialect struct{ name DatabaseType }

func (d mysqlDialect) Name() DatabaseType { return d.name }

func (d mysqlDialect) CreateDatabase(name string) string {
	return "CREATE DATABASE IF NOT EXISTS " + QuoteIdent(name)
}

// Validate rejects the AnalyticDB layout fields, which MySQL and MariaDB cannot express.
// A primary key is fine: it replaces the source's.
func (d mysqlDialect) Validate(t Table) error {
	v := &validator{t: t}
	validateCommon(v)
	const other = "or use an " + ADBMySQL + " destination"
	if len(t.DistributionKey) > 0 {
		v.fail("distribution_key", "%s destinations have no distribution key: remove distribution_key from the table %s", d.name, other)
	}
	if t.TableType == TableTypeDimension {
		v.fail("table_type", "%s destinations have no dimension (broadcast) tables: remove table_type from the table %s", d.name, other)
	}
	if t.PartitionKey != "" {
		v.fail("partition_key", "%s destinations have no value partitions: remove partition_key from the table %s", d.name, other)
	}
	if t.PartitionRule != "" {
		v.fail("partition_rule", "%s destinations have no value partitions: remove partition_rule from the table %s", d.name, other)
	}
	if t.PartitionLifecycle != 0 {
		v.fail("partition_lifecycle", "%s destinations have no partition lifecycle: remove partition_lifecycle from the table %s", d.name, other)
	}
	crossFamily(v, t, d.name)
	if _, err := d.options(t); err != nil {
		v.fail("options", "the source's table options cannot be read (%v): report this with the source's SHOW CREATE TABLE", err)
	}
	return v.err()
}

func (d mysqlDialect) CreateTable(t Table) (string, error) {
	if err := d.Validate(t); err != nil {
		return "", err
	}
	t = crossFamily(&validator{t: t}, t, d.name) // its failures were Validate's
	same := sameFamily(t.SourceFlavor, false)
	lines := columnLines(t)
	for _, ix := range t.Indexes {
		var line string
		var err error
		switch ix.Kind {
		case "CLUSTERED":
			// AnalyticDB's CLUSTERED KEY orders a table's rows in storage; InnoDB always
			// clusters by the primary key, so there is nothing to create.
			continue
		case "CHECK":
			line, err = renderCheck(ix)
		default:
			line, err = renderIndex(ix, mysqlIndexHeads[ix.Kind], same)
		}
		if err != nil {
			return "", fmt.Errorf("table %s: %w", QuoteTable(t.Database, t.Name), err)
		}
		lines = append(lines, line)
	}
	opts, err := d.options(t)
	if err != nil {
		return "", err
	}
	return renderCreate(t, lines, opts), nil
}

// mysqlIndexHeads are the words SHOW CREATE TABLE prints for each index kind.
var mysqlIndexHeads = map[string]string{
	"KEY":      "KEY",
	"UNIQUE":   "UNIQUE KEY",
	"FULLTEXT": "FULLTEXT KEY",
	"SPATIAL":  "SPATIAL KEY",
}

// options returns the table options for the destination. Options from MySQL and MariaDB
// carry over as they are (engine, charset, collation, row format, comment, partitioning).
// From AnalyticDB only the COMMENT means something here: its distribution, partition,
// lifecycle and storage options (INDEX_ALL, STORAGE_POLICY, ENGINE='XUANWU', BLOCK_SIZE,
// TABLE_PROPERTIES, BINLOG) have no MySQL equivalent, so the destination's defaults apply.
func (d mysqlDialect) options(t Table) (string, error) {
	if sameFamily(t.SourceFlavor, false) {
		return strings.TrimSpace(t.Options), nil
	}
	opts, err := SplitOptions(t.Options)
	if err != nil {
		return "", err
	}
	var kept []string
	for _, o := range opts {
		if o.Name == "COMMENT" {
			kept = append(kept, o.Raw)
		}
	}
	return strings.Join(kept, " "), nil
}

func (mysqlDialect) BulkLoad(l Load, reader string) string { return loadData(l, reader) }
func (mysqlDialect) Insert(l Load, rows int) string        { return insertRows(l, rows) }
func (mysqlDialect) RowText(cols []RowColumn) string       { return rowText(cols) }
func (mysqlDialect) RowHash(row string) string             { return rowHash(row) }
func (mysqlDialect) ChunkChecksum(row, from string) string { return chunkChecksum(row, from) }
