package cdc

import (
	"context"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// Online schema changes, as gh-ost and pt-online-schema-change make them on a table t:
// they create a shadow table (gh-ost _t_gho, pt-osc _t_new), alter it, fill it with t's
// rows and keep it in step (gh-ost from the binlog, pt-osc by triggers), then swap it in
// with RENAME TABLE t TO _t_del, _t_gho TO t (pt-osc: t TO _t_old, _t_new TO t). gh-ost
// also keeps a changelog table _t_ghc and a cut-over sentry _t_del.
//
// Incremental migration never migrates these tables: it records the shadow's ALTER
// statements, and at the swap applies them to t's destination table, which keeps its rows.
// t's own rows events flow all along, with t's columns before the swap and the shadow's
// after, so nothing is copied again.

// shadow is the shadow table of an online schema change in progress.
type shadow struct {
	// Real is the "db.table" key of the table it replaces.
	Real string `json:"real"`
	// Tool is gh-ost or pt-online-schema-change.
	Tool string `json:"tool"`
	// Alters are its ALTER statements, rewritten to name the real table.
	Alters []string `json:"alters,omitempty"`
}

// oscSuffixes are the tables' name suffixes, and the tools that use them.
var oscSuffixes = map[string]string{
	"_gho": "gh-ost", "_ghc": "gh-ost", "_del": "gh-ost",
	"_new": "pt-online-schema-change", "_old": "pt-online-schema-change",
}

// oscKind is the suffix of an online schema change table's name ("_gho", ...), "" for
// another name.
func oscKind(name string) string {
	if !strings.HasPrefix(name, "_") {
		return ""
	}
	for suffix := range oscSuffixes {
		if strings.HasSuffix(name, suffix) && len(name) > len(suffix)+1 {
			return suffix
		}
	}
	return ""
}

// oscTarget is the name of the table an online schema change table is for: _t_gho and
// __t_new are for t.
func oscTarget(name string) string {
	kind := oscKind(name)
	if kind == "" {
		return ""
	}
	return strings.TrimLeft(strings.TrimSuffix(name, kind), "_")
}

// onlineSchemaChange reports whether CREATE TABLE db.name is one of an online schema change
// of a migrated table, recording it when it is the shadow.
func (f *follower) onlineSchemaChange(db, name, key string) bool {
	target := oscTarget(name)
	if target == "" || f.tables[tableKey(db, target)] == nil {
		return false
	}
	kind := oscKind(name)
	if kind == "_gho" || kind == "_new" {
		f.shadows[key] = &shadow{Real: tableKey(db, target), Tool: oscSuffixes[kind]}
		f.cfg.Log.Info("online schema change started: its shadow table is followed, not migrated", "table", db+"."+target, "shadow", name, "tool", oscSuffixes[kind])
	}
	return true
}

func (f *follower) shadowOf(defaultDB string, tn *ast.TableName) (*shadow, string) {
	key := tableKey(dbOf(defaultDB, tn), tn.Name.O)
	return f.shadows[key], key
}

// recordShadowAlter keeps an ALTER of a shadow for the swap, naming the real table.
func (f *follower) recordShadowAlter(sh *shadow, key string, s *ast.AlterTableStmt) error {
	db, name, _ := strings.Cut(sh.Real, ".")
	if t := f.tables[sh.Real]; t != nil {
		db, name = t.SourceDatabase, t.SourceTable
	}
	if len(f.attrs) > 0 {
		// The recorded ALTER is restored from what the parser read, which holds neither
		// INVISIBLE, nor SRID, nor a spatial type (preparse): applied at the swap, it would
		// give the destination a different column.
		probe := &Table{Table: tablemap.Table{SourceDatabase: db, SourceTable: name}}
		return refuse(probe, "ALTER of "+key, "the shadow table's change has INVISIBLE, SRID or a spatial type, which a change made through a shadow table cannot carry to the destination",
			"make this change with ALTER TABLE on the table itself, or create a new task after the change")
	}
	renamed := *s
	renamed.Table = &ast.TableName{Schema: ast.NewCIStr(db), Name: ast.NewCIStr(name)}
	text, err := restore(&renamed)
	if err != nil {
		return fmt.Errorf("reading the ALTER of shadow table %s: %w", key, err)
	}
	sh.Alters = append(sh.Alters, text)
	return nil
}

// swap handles one pair of a RENAME TABLE that belongs to an online schema change: the
// real table moved aside (kept, awaiting its shadow), or the shadow taking the real table's
// name (its recorded DDL applied to the real table). done is false for other pairs.
func (f *follower) swap(ctx context.Context, oldKey, newKey, query string) (done bool, err error) {
	_, newName, _ := strings.Cut(newKey, ".")
	if t := f.tables[oldKey]; t != nil && oscKind(newName) != "" && strings.EqualFold(oscTarget(newName), t.SourceTable) {
		for _, sh := range f.shadows {
			if sh.Real == oldKey {
				delete(f.tables, oldKey)
				f.aside[oldKey] = t
				return true, nil
			}
		}
		return false, nil // moved aside with no shadow known: renamed out of the selection
	}
	sh := f.shadows[oldKey]
	if sh == nil {
		return false, nil
	}
	delete(f.shadows, oldKey)
	t := f.aside[newKey]
	if sh.Real != newKey || t == nil {
		return true, nil // the shadow went elsewhere: it was never migrated
	}
	delete(f.aside, newKey)
	f.tables[newKey] = t
	for _, alter := range sh.Alters {
		stmt, err := parseDDL(alter)
		if err != nil {
			return true, fmt.Errorf("reading the recorded DDL %s of a %s change of %s.%s: %w", alter, sh.Tool, t.SourceDatabase, t.SourceTable, err)
		}
		s := stmt.(*ast.AlterTableStmt)
		if err := f.alterTable(ctx, t, s.Specs, alter); err != nil {
			return true, fmt.Errorf("%s swapped in a new %s.%s: %w", sh.Tool, t.SourceDatabase, t.SourceTable, err)
		}
	}
	f.cfg.Log.Info("online schema change swapped in: its DDL is applied to the destination table, which keeps its rows", "table", t.SourceDatabase+"."+t.SourceTable, "tool", sh.Tool, "statements", len(sh.Alters))
	return true, nil
}
