package dialect

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// adbDialect renders tables for AnalyticDB for MySQL 3.0 destinations, following
// /work/shared/ADB.md: the column list (columns, PRIMARY KEY, indexes), then in this order
// the distribution, the partition, the lifecycle, and the storage options.
//
// A MySQL or MariaDB column's type becomes the AnalyticDB type that keeps its values
// (adbtypes.go); a type whose values would change is refused at precheck, naming the
// column. The attributes after the type are kept as the source prints them: ADB.md says
// nothing about them, so nothing is stripped, and an attribute AnalyticDB rejects (a column
// CHARACTER SET/COLLATE, ON UPDATE, a generated column) makes the CREATE fail with the
// server's own message rather than be changed silently here.
type adbDialect struct{}

func (adbDialect) Name() DatabaseType { return ADBMySQL }

func (adbDialect) CreateDatabase(name string) string {
	return "CREATE DATABASE IF NOT EXISTS " + QuoteIdent(name)
}

// Validate adds AnalyticDB's rules to the shared ones: a table needs a primary key
// (without one AnalyticDB adds the hidden __adb_auto_id__ column, and such tables cannot be
// migrated), and any primary key, even a single column, must include the distribution key
// and the partition key (ADB.md: "The primary key must include the distribution key
// columns and the partition key column").
func (d adbDialect) Validate(t Table) error {
	v := &validator{t: t}
	validateCommon(v)
	if len(t.PrimaryKey) == 0 {
		v.fail("primary_key", "the table has no primary key, so AnalyticDB would add a hidden __adb_auto_id__ column and the table could not be migrated: set primary_key on the table")
	}
	if len(t.PrimaryKey) == 1 {
		requirePrimaryKeyIncludes(v) // validateCommon checks composite keys
	}
	if _, err := d.storageOptions(t); err != nil {
		v.fail("options", "the source's table options cannot be read (%v): report this with the source's SHOW CREATE TABLE", err)
	}
	if t.SourceFlavor != ADBMySQL {
		for _, c := range t.Columns {
			if _, _, err := adbColumnType(c.Definition); err != nil {
				v.fail("columns", "column %s: %v", QuoteIdent(c.Name), err)
			}
			// The copy's key ranges, the verification's narrowing and the delete by key all
			// send a key's source value; a BIT's is its bytes, and AnalyticDB holds its number.
			if leadingWord(c.Definition) == "bit" && slices.ContainsFunc(t.PrimaryKey, func(k string) bool { return strings.EqualFold(k, c.Name) }) {
				v.fail("primary_key", "column %s is a BIT in the primary key: AnalyticDB holds a BIT as its number, and rows are found by key with the source's bytes, "+
					"so the copy and verification cannot find them: change the source column to an integer type, or leave the table out of this task", QuoteIdent(c.Name))
			}
		}
	}
	return v.err()
}

// adbColumns returns t's columns with their types mapped to AnalyticDB's
// (DestinationColumn) when the source is MySQL or MariaDB; an AnalyticDB source's are
// AnalyticDB's already.
func adbColumns(t Table) ([]Column, error) {
	out := make([]Column, len(t.Columns))
	for i, c := range t.Columns {
		def, _, err := DestinationColumn(c.Definition, t.SourceFlavor, ADBMySQL) // the precheck alerts on a loss (ValueLoss)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", QuoteIdent(c.Name), err)
		}
		out[i] = Column{Name: c.Name, Definition: def}
	}
	return out, nil
}

func (d adbDialect) CreateTable(t Table) (string, error) {
	if err := d.Validate(t); err != nil {
		return "", err
	}
	same := sameFamily(t.SourceFlavor, true)
	mapped := t
	var err error
	if mapped.Columns, err = adbColumns(t); err != nil {
		return "", fmt.Errorf("table %s: %w", QuoteTable(t.Database, t.Name), err)
	}
	lines := columnLines(mapped)
	indexes, _ := ADBSecondaryIndexes(t)
	for _, ix := range indexes {
		head, ok := adbIndexHeads[ix.Kind]
		if !ok {
			// CHECK: AnalyticDB's table constraints are keys and indexes only, so a CHECK
			// constraint is not created (the source server still enforces it on the
			// rows that are copied).
			continue
		}
		line, err := renderIndex(ix, head, same)
		if err != nil {
			return "", fmt.Errorf("table %s: %w", QuoteTable(t.Database, t.Name), err)
		}
		lines = append(lines, line)
	}

	var after []string
	if t.TableType == TableTypeDimension {
		after = append(after, "DISTRIBUTED BY BROADCAST")
	} else {
		// Without a distribution key the primary key is the distribution key (ADB.md); it is
		// written out so that the statement says what the table will be.
		key := t.DistributionKey
		if len(key) == 0 {
			key = t.PrimaryKey
		}
		after = append(after, "DISTRIBUTED BY HASH("+QuoteIdents(key)+")")
	}
	if t.PartitionKey != "" {
		if format, ok := partitionFormats[t.PartitionRule]; ok {
			after = append(after, "PARTITION BY VALUE(DATE_FORMAT("+QuoteIdent(t.PartitionKey)+", '"+format+"'))")
		} else {
			after = append(after, "PARTITION BY VALUE("+QuoteIdent(t.PartitionKey)+")")
		}
	}
	if t.PartitionLifecycle > 0 {
		after = append(after, "LIFECYCLE "+strconv.Itoa(t.PartitionLifecycle))
	}
	storage, err := d.storageOptions(t)
	if err != nil {
		return "", err
	}
	after = append(after, storage...)
	return renderCreate(t, lines, strings.Join(after, " ")), nil
}

// adbIndexHeads are the words each index kind is created with. AnalyticDB has no UNIQUE
// secondary index (uniqueness comes from the primary key only), so a UNIQUE key becomes a
// plain index that still serves lookups; uniqueness is then not enforced on the
// destination. ADB.md names no SPATIAL index; it is kept as written so that AnalyticDB,
// not this code, decides (expect the CREATE to fail if it is not supported).
var adbIndexHeads = map[string]string{
	"KEY":       "KEY",
	"UNIQUE":    "KEY",
	"FULLTEXT":  "FULLTEXT INDEX",
	"CLUSTERED": "CLUSTERED KEY",
	"SPATIAL":   "SPATIAL KEY",
}

// adbLayoutOptions are the AnalyticDB source options that the destination fields replace:
// the engine reads them from the source and passes them (renamed) as TableType,
// DistributionKey, PartitionKey, PartitionRule and PartitionLifecycle.
var adbLayoutOptions = map[string]bool{
	"DISTRIBUTED BY": true,
	"DISTRIBUTE BY":  true,
	"PARTITION BY":   true,
	"LIFECYCLE":      true,
}

// storageOptions returns the options written after the lifecycle, in source order.
//
// From an AnalyticDB source every option but the layout ones carries over as written:
// INDEX_ALL, STORAGE_POLICY (with its HOT_PARTITION_COUNT, which ADB.md does not name),
// ENGINE='XUANWU'|'XUANWU_V2', BLOCK_SIZE, TABLE_PROPERTIES, COMMENT, and also BINLOG,
// which turns on the destination table's binary log as on the source.
//
// From MySQL and MariaDB only COMMENT carries over. The rest are InnoDB and MySQL settings
// that are not AnalyticDB table options: ENGINE=InnoDB (AnalyticDB's engines are XUANWU and
// XUANWU_V2; the cluster's default applies), AUTO_INCREMENT=n (the start of MySQL's
// counter), ROW_FORMAT, KEY_BLOCK_SIZE, STATS_* and other InnoDB storage settings, DEFAULT
// CHARSET and COLLATE (AnalyticDB's CREATE TABLE has no table character set), and MySQL
// or MariaDB partitioning (partitions come from the partition_* fields instead).
func (adbDialect) storageOptions(t Table) ([]string, error) {
	opts, err := SplitOptions(t.Options)
	if err != nil {
		return nil, err
	}
	var kept []string
	for _, o := range opts {
		switch {
		case o.Name == "COMMENT":
			kept = append(kept, o.Raw)
		case t.SourceFlavor == ADBMySQL && !adbLayoutOptions[o.Name]:
			kept = append(kept, o.Raw)
		}
	}
	return kept, nil
}

func (adbDialect) BulkLoad(l Load, reader string) string { return loadData(l, reader) }
func (adbDialect) Insert(l Load, rows int) string        { return insertRows(l, rows) }
func (adbDialect) RowText(cols []RowColumn) string       { return rowText(cols) }
func (adbDialect) RowHash(row string) string             { return rowHash(row) }
func (adbDialect) ChunkChecksum(row, from string) string { return chunkChecksum(row, from) }
