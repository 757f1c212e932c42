package precheck

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// adbAutoID is the hidden key column AnalyticDB adds to tables created without a primary key.
const adbAutoID = "__adb_auto_id__"

type sourceTablesCheck struct{ e *env }

func (sourceTablesCheck) Name() string { return SourceTables }

func (c sourceTablesCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	cat, err := c.e.sourceCatalog(ctx)
	if err != nil {
		return queryFailed(s, "list the source tables", err)
	}
	var missing, views []string
	for _, t := range c.e.in.Tables {
		info := cat.lookup(t.SourceDatabase, t.SourceTable)
		switch {
		case info == nil:
			missing = append(missing, t.Name())
		case info.Type == "VIEW":
			views = append(views, t.Name())
		}
	}
	if len(missing) == 0 && len(views) == 0 {
		return passed("all %d selected source table(s) exist", len(c.e.in.Tables))
	}
	var msg []string
	if len(missing) > 0 {
		msg = append(msg, "source table(s) "+listNames(missing)+" do not exist or the source user cannot see them")
	}
	if len(views) > 0 {
		msg = append(msg, listNames(views)+" are views, which are not migrated")
	}
	return Result{
		State:   Failed,
		Message: strings.Join(msg, "; "),
		Remedy:  "correct the database and table names in the task, remove the tables that no longer exist or are views, and make sure the source user has SELECT on them",
	}
}

// keyState is what a table offers as a row identity.
type keyState struct {
	usable     bool     // a primary key, or a unique key over NOT NULL columns without prefixes
	nullUnique []string // unique keys disqualified by a nullable column or a prefix, and why
}

// readKeys reads the unique keys of the tables of one database from information_schema.
func readKeys(ctx context.Context, db *sql.DB, database string, names []string) (map[string]*keyState, error) {
	args := append([]any{database}, anys(names)...)
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, INDEX_NAME, NULLABLE = 'YES', SUB_PART IS NOT NULL, COLUMN_NAME IS NULL
		FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (`+placeholders(len(names))+`) AND NON_UNIQUE = 0
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading information_schema.STATISTICS for database %s: %w", database, err)
	}
	defer rows.Close()
	type index struct{ table, name string }
	disqualified := map[index]string{} // why the key cannot identify rows
	var order []index
	for rows.Next() {
		var ix index
		var nullable, prefix, expression bool
		if err := rows.Scan(&ix.table, &ix.name, &nullable, &prefix, &expression); err != nil {
			return nil, err
		}
		if !slices.Contains(order, ix) {
			order = append(order, ix)
		}
		switch {
		case nullable && disqualified[ix] == "":
			disqualified[ix] = "allows NULL"
		case prefix && disqualified[ix] == "":
			disqualified[ix] = "indexes a column prefix"
		case expression && disqualified[ix] == "": // a functional key part (MySQL 8.0.13+)
			disqualified[ix] = "indexes an expression"
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]*keyState{}
	for _, ix := range order {
		ks := out[ix.table]
		if ks == nil {
			ks = &keyState{}
			out[ix.table] = ks
		}
		if why := disqualified[ix]; why != "" {
			ks.nullUnique = append(ks.nullUnique, fmt.Sprintf("unique key %s %s", ix.name, why))
		} else {
			ks.usable = true
		}
	}
	return out, nil
}

var primaryKeyRe = regexp.MustCompile(`(?i)\bPRIMARY\s+KEY\s*\(`)

type primaryKeyCheck struct{ e *env }

func (primaryKeyCheck) Name() string { return PrimaryKey }

func (c primaryKeyCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	cat, err := c.e.sourceCatalog(ctx)
	if err != nil {
		return queryFailed(s, "list the source tables", err)
	}
	byDB := map[string][]string{}
	for _, t := range c.e.in.Tables {
		if info := cat.lookup(t.SourceDatabase, t.SourceTable); info != nil && info.Type != "VIEW" {
			byDB[info.Database] = append(byDB[info.Database], info.Name)
		}
	}
	keys := map[tableRef]*keyState{}
	for database, names := range byDB {
		for chunk := range slices.Chunk(names, batch) {
			ks, err := readKeys(ctx, s.db, database, chunk)
			if err != nil {
				return queryFailed(s, "read the keys of the source tables", err)
			}
			for name, k := range ks {
				keys[tableRef{database, name}] = k
			}
		}
	}
	var failed, alerted, remedies []string
	for _, t := range c.e.in.Tables {
		info := cat.lookup(t.SourceDatabase, t.SourceTable)
		if info == nil || info.Type == "VIEW" {
			continue // source_tables reports it
		}
		ks := keys[tableRef{info.Database, info.Name}]
		if ks != nil && ks.usable {
			continue
		}
		if s.typ == dbconn.TypeADBMySQL3 {
			// information_schema may not list AnalyticDB keys: trust the definition.
			ddls, err := c.e.sourceDDL(ctx)
			if err != nil {
				return queryFailed(s, "read the source table definitions", err)
			}
			if primaryKeyRe.MatchString(ddls[tableRef{t.SourceDatabase, t.SourceTable}]) {
				continue
			}
		}
		what := t.Name()
		if ks != nil && len(ks.nullUnique) > 0 {
			what += " (" + strings.Join(ks.nullUnique, ", ") + ")"
		}
		if t.AllTables {
			alerted = append(alerted, what)
			continue
		}
		failed = append(failed, what)
		remedies = append(remedies, fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (<columns>)", quoteTable(t.SourceDatabase, t.SourceTable)))
	}
	const noKey = "no primary key and no unique key whose columns are all NOT NULL"
	switch {
	case len(failed) > 0:
		msg := fmt.Sprintf("source table(s) %s have %s, so rows cannot be identified for chunked copy and incremental changes", listNames(failed), noKey)
		if len(alerted) > 0 {
			msg += fmt.Sprintf("; tables selected through their database without a key: %s (they would get an auto-increment key, which may cause data inconsistency)", listNames(alerted))
		}
		return Result{
			State:   Failed,
			Message: msg,
			Remedy:  "give each table a primary key (" + strings.Join(remedies, "; ") + "), or make every column of one of its unique keys NOT NULL",
		}
	case len(alerted) > 0:
		return Result{
			State: Alert,
			Message: fmt.Sprintf("source table(s) %s, selected through their database, have %s: the destination gets an auto-increment key instead, which may cause data inconsistency (rows may be duplicated when a copy is retried)",
				listNames(alerted), noKey),
			Remedy: "add a primary key to these source tables, or remove them from the task, or add " + PrimaryKey + " to ignore_precheck_alerts to accept the risk",
		}
	}
	return passed("every selected source table has a primary key or a unique key over NOT NULL columns")
}

type autoIDCheck struct{ e *env }

func (autoIDCheck) Name() string { return ADBAutoID }

func (c autoIDCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	cat, err := c.e.sourceCatalog(ctx)
	if err != nil {
		return queryFailed(s, "list the source tables", err)
	}
	var ddls map[tableRef]string
	if s.typ == dbconn.TypeADBMySQL3 {
		// The column is hidden: SHOW CREATE TABLE may show it where information_schema does not.
		if ddls, err = c.e.sourceDDL(ctx); err != nil {
			return queryFailed(s, "read the source table definitions", err)
		}
	}
	var found []string
	for _, t := range c.e.in.Tables {
		info := cat.lookup(t.SourceDatabase, t.SourceTable)
		if info == nil {
			continue
		}
		if info.hasColumn(adbAutoID) || strings.Contains(strings.ToLower(ddls[tableRef{t.SourceDatabase, t.SourceTable}]), adbAutoID) {
			found = append(found, t.Name())
		}
	}
	if len(found) == 0 {
		return passed("no selected source table has an %s column", adbAutoID)
	}
	return Result{
		State:   Failed,
		Message: fmt.Sprintf("source table(s) %s have the auto-generated %s key of a table created without a primary key; such tables cannot be migrated", listNames(found), adbAutoID),
		Remedy:  "create a copy of each table with a custom primary key (CREATE TABLE ... PRIMARY KEY (...); INSERT INTO ... SELECT ...) and migrate the copy, or remove these tables from the task",
	}
}
