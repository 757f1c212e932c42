package cdc

import "database/sql"

// follower follows the source's schema during incremental migration: the migrated tables
// and their live definitions, the shadow tables of online schema changes, the schema
// history, and the DDL handlers that apply a change to the destination (ddl.go, alter.go,
// tables.go, osc.go). The applier holds one and hands it every DDL statement; the follower
// knows nothing of batches, positions or commits, which are the applier's (applier.go,
// apply.go). The applier flushes what it has read before it hands over a DDL, so the
// follower always changes a table with no change to it pending.
type follower struct {
	cfg Config
	dst *sql.DB
	// tables are the migrated tables by source "db.table".
	tables map[string]*Table
	// shadows are the shadow tables of online schema changes in progress, by "db.table".
	shadows map[string]*shadow
	// aside are migrated tables an online schema change moved aside, by their "db.table",
	// until its shadow takes their name (in the same RENAME TABLE, or the next).
	aside map[string]*Table
	// attrs are the column attributes preparse took out of the statement being followed,
	// for the handlers to put back; nil between statements.
	attrs statementAttrs
	// notices are the DDL statements left out, for Status.Notices.
	notices []string
}
