package precheck

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// destinationPrivileges are what the writer needs on every destination table: create and
// alter it (schema migration, ADD/DROP COLUMN), write and read rows (verification), drop it.
var destinationPrivileges = []string{"CREATE", "SELECT", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER"}

// metaPrivileges are what the task needs on checkpoint.MetaDatabase to keep its progress.
var metaPrivileges = []string{"CREATE", "SELECT", "INSERT", "UPDATE", "DELETE"}

// privilegeResult turns what is missing into a result: Failed when the grants are fully
// understood, Alert when the privileges may still come from roles or lines not understood.
func privilegeResult(s *side, account string, gs grants, missing []string, partial bool, remedies []string) Result {
	msg := fmt.Sprintf("%s user %s lacks %s", s.role, account, strings.Join(missing, "; "))
	state := Failed
	if doubt := gs.doubt(); doubt != "" {
		state = Alert
		msg += "; but " + doubt + ", so the privileges may still be held"
	}
	if partial {
		state = Alert
		msg += "; some of them are granted on some columns only, which may or may not cover every column migrated"
	}
	return Result{State: state, Message: msg, Remedy: "run " + strings.Join(remedies, "; ")}
}

type sourcePrivilegeCheck struct{ e *env }

func (sourcePrivilegeCheck) Name() string { return SourcePrivileges }

func (c sourcePrivilegeCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	gs, account, err := readGrants(ctx, s.db)
	if err != nil {
		return Result{
			State:   Alert,
			Message: fmt.Sprintf("cannot read the grants of the source user (SHOW GRANTS: %v); its privileges were not checked", err),
			Remedy:  "make sure the source user can SELECT the selected tables (and, for incremental migration, read the binlog), then add " + SourcePrivileges + " to ignore_precheck_alerts",
		}
	}
	var missing, remedies []string
	partial := false
	noSelect := map[string][]string{} // database -> tables
	var dbs []string
	for _, t := range c.e.in.Tables {
		if gs.allows("SELECT", t.SourceDatabase, t.SourceTable) {
			continue
		}
		if gs.partly("SELECT", t.SourceDatabase, t.SourceTable) {
			partial = true
		}
		if _, ok := noSelect[t.SourceDatabase]; !ok {
			dbs = append(dbs, t.SourceDatabase)
		}
		noSelect[t.SourceDatabase] = append(noSelect[t.SourceDatabase], t.Name())
	}
	for _, db := range dbs {
		missing = append(missing, "SELECT on "+listNames(noSelect[db]))
		remedies = append(remedies, fmt.Sprintf("GRANT SELECT ON %s.* TO %s", quoteIdent(db), account))
	}
	if c.e.in.Incremental && s.typ != dbconn.TypeADBMySQL3 {
		var global []string
		if !gs.allows("REPLICATION SLAVE", "*", "") {
			global = append(global, "REPLICATION SLAVE")
		}
		if !gs.allowsAny("REPLICATION CLIENT", "BINLOG MONITOR", "SUPER") {
			if s.typ == dbconn.TypeMariaDB {
				global = append(global, "BINLOG MONITOR")
			} else {
				global = append(global, "REPLICATION CLIENT")
			}
		}
		if len(global) > 0 {
			missing = append(missing, strings.Join(global, ", ")+" on *.* (needed to read the binlog for incremental migration)")
			remedies = append(remedies, fmt.Sprintf("GRANT %s ON *.* TO %s", strings.Join(global, ", "), account))
		}
	}
	if len(missing) == 0 {
		what := "SELECT on the selected tables"
		if c.e.in.Incremental && s.typ != dbconn.TypeADBMySQL3 {
			what += " and the binlog privileges"
		}
		return passed("source user %s holds %s", account, what)
	}
	return privilegeResult(s, account, gs, missing, partial, remedies)
}

type destinationPrivilegeCheck struct{ e *env }

func (destinationPrivilegeCheck) Name() string { return DestinationPrivileges }

func (c destinationPrivilegeCheck) Check(ctx context.Context) Result {
	s := c.e.dst
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	gs, account, err := readGrants(ctx, s.db)
	if err != nil {
		return Result{
			State:   Alert,
			Message: fmt.Sprintf("cannot read the grants of the destination user (SHOW GRANTS: %v); its privileges were not checked", err),
			Remedy:  "make sure the destination user can create, alter, drop, read and write the destination tables and the " + checkpoint.MetaDatabase + " database, then add " + DestinationPrivileges + " to ignore_precheck_alerts",
		}
	}
	// Tables lacking the same privileges are reported together.
	type lack struct {
		privs  string
		tables []string
	}
	var lacks []*lack
	var lackDBs []string
	partial := false
	for _, t := range c.e.in.Tables {
		var privs []string
		for _, p := range destinationPrivileges {
			if !gs.allows(p, t.DestDatabase, t.DestTable) {
				privs = append(privs, p)
				if gs.partly(p, t.DestDatabase, t.DestTable) {
					partial = true
				}
			}
		}
		if len(privs) == 0 {
			continue
		}
		key := strings.Join(privs, ", ")
		i := slices.IndexFunc(lacks, func(l *lack) bool { return l.privs == key })
		if i < 0 {
			lacks = append(lacks, &lack{privs: key})
			i = len(lacks) - 1
		}
		lacks[i].tables = append(lacks[i].tables, t.DestName())
		if !slices.Contains(lackDBs, t.DestDatabase) {
			lackDBs = append(lackDBs, t.DestDatabase)
		}
	}
	var missing, remedies []string
	for _, l := range lacks {
		missing = append(missing, l.privs+" on "+listNames(l.tables))
	}
	for _, db := range lackDBs {
		remedies = append(remedies, fmt.Sprintf("GRANT %s ON %s.* TO %s", strings.Join(destinationPrivileges, ", "), quoteIdent(db), account))
	}
	var meta []string
	for _, p := range metaPrivileges {
		if !gs.allows(p, checkpoint.MetaDatabase, "") {
			meta = append(meta, p)
		}
	}
	if len(meta) > 0 {
		missing = append(missing, fmt.Sprintf("%s on database %s (where the task keeps its progress)", strings.Join(meta, ", "), checkpoint.MetaDatabase))
		remedies = append(remedies, fmt.Sprintf("GRANT %s ON %s.* TO %s", strings.Join(metaPrivileges, ", "), quoteIdent(checkpoint.MetaDatabase), account))
	}
	if len(missing) == 0 {
		return passed("destination user %s holds %s on the destination tables and %s on %s",
			account, strings.Join(destinationPrivileges, ", "), strings.Join(metaPrivileges, ", "), checkpoint.MetaDatabase)
	}
	return privilegeResult(s, account, gs, missing, partial, remedies)
}
