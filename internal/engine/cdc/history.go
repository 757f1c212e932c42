package cdc

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// The schema history stored with each position: every migrated table as it was at that
// position (its columns, key, destination and, for a table the binlog created or renamed,
// everything else the task said about it), and the shadow tables of online schema changes
// in progress. Events after the position decode with it, so a restart anywhere reads the
// binlog as the first run did.

// history is the stored form, version 2. Version 1 (before DDL was followed beyond ADD and
// DROP COLUMN) was a map of "db.table" to {columns, dest}; it is still read.
type history struct {
	V       int                    `json:"v"`
	Tables  map[string]storedTable `json:"tables"`
	Shadows map[string]*shadow     `json:"shadows,omitempty"`
}

type storedTable struct {
	SourceDatabase string            `json:"source_db"`
	SourceTable    string            `json:"source_table"`
	DestDatabase   string            `json:"dest_db"`
	DestTable      string            `json:"dest_table"`
	Columns        []schema.Column   `json:"columns"`
	Dest           map[string]string `json:"dest"`
	Subset         bool              `json:"subset,omitempty"`
	Key            []string          `json:"key"`
	Where          string            `json:"where,omitempty"`
	Ops            []vocab.Operation `json:"ops,omitempty"`
	OrderSensitive bool              `json:"order_sensitive,omitempty"`
	ETL            etl.Spec          `json:"etl"`
}

func tableKey(db, table string) string { return strings.ToLower(db + "." + table) }

// historyJSON is the schema history of the applier's tables and shadows.
func (f *follower) historyJSON() string {
	h := history{V: 2, Tables: map[string]storedTable{}, Shadows: f.shadows}
	for k, t := range f.tables {
		h.Tables[k] = storedTable{
			SourceDatabase: t.SourceDatabase, SourceTable: t.SourceTable, DestDatabase: t.DestDatabase, DestTable: t.DestTable,
			Columns: t.Columns, Dest: t.Dest, Subset: t.Subset(), Key: t.Key, Where: t.Where, Ops: t.Ops, OrderSensitive: t.OrderSensitive, ETL: t.ETLSpec,
		}
	}
	b, _ := json.Marshal(h) // plain values always marshal
	return string(b)
}

// Restore applies a stored schema history to the tables the task selects now, so that
// events after the stored position decode with the columns they were written with, into
// the destination tables and columns that existed then. It returns the tables migrated at
// the stored position: a selected table the history does not know was created (or renamed
// into the selection) after it, and is added back when the binlog says so; a table the
// history knows and the task no longer finds on the source (dropped or renamed since) is
// restored from the history. Each table keeps the task's where, etl and operations when the
// task still selects it.
func Restore(tables []*Table, stored string) ([]*Table, error) {
	if stored == "" {
		return tables, nil
	}
	h, err := parseHistory(stored)
	if err != nil {
		return nil, err
	}
	if h.V < 2 {
		for _, t := range tables {
			if s, ok := h.Tables[tableKey(t.SourceDatabase, t.SourceTable)]; ok {
				t.Columns, t.Dest = s.Columns, s.Dest
			}
		}
		return tables, nil
	}
	byKey := map[string]*Table{}
	for _, t := range tables {
		byKey[tableKey(t.SourceDatabase, t.SourceTable)] = t
	}
	var out []*Table
	for _, k := range slices.Sorted(maps.Keys(h.Tables)) {
		s := h.Tables[k]
		t := byKey[k]
		if t == nil {
			t = &Table{Table: tablemap.Table{SourceDatabase: s.SourceDatabase, SourceTable: s.SourceTable, Where: s.Where, Ops: s.Ops, ETLSpec: s.ETL}}
			if s.Subset {
				// The history keeps that the task listed the columns, not the list: the
				// columns migrated at the position stand for it.
				t.Selected = slices.Sorted(maps.Keys(s.Dest))
			}
		}
		t.DestDatabase, t.DestTable, t.Columns, t.Dest, t.Key, t.OrderSensitive = s.DestDatabase, s.DestTable, s.Columns, s.Dest, s.Key, s.OrderSensitive
		if t.Dest == nil {
			t.Dest = map[string]string{}
		}
		out = append(out, t)
	}
	return out, nil
}

func parseHistory(stored string) (history, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stored), &probe); err != nil {
		return history{}, fmt.Errorf("stored schema history is damaged: %w", err)
	}
	if _, ok := probe["v"]; ok {
		var h history
		if err := json.Unmarshal([]byte(stored), &h); err != nil {
			return history{}, fmt.Errorf("stored schema history is damaged: %w", err)
		}
		return h, nil
	}
	h := history{V: 1, Tables: map[string]storedTable{}}
	for k, raw := range probe {
		var v1 struct {
			Columns []schema.Column   `json:"columns"`
			Dest    map[string]string `json:"dest"`
		}
		if err := json.Unmarshal(raw, &v1); err != nil {
			return history{}, fmt.Errorf("stored schema history is damaged: %w", err)
		}
		h.Tables[k] = storedTable{Columns: v1.Columns, Dest: v1.Dest}
	}
	return h, nil
}

// restoreShadows reads the shadow tables of the history stored with the start position.
func restoreShadows(stored string) (map[string]*shadow, error) {
	out := map[string]*shadow{}
	if stored == "" {
		return out, nil
	}
	h, err := parseHistory(stored)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, h.Shadows)
	return out, nil
}

// Followed reports which tables ("db.table", lower case) a stored schema history holds:
// the binlog brought them into the task (created, renamed, or copied earlier), so a run
// that resumes from it must not copy them again. ok is false for a history that does not
// say (none, or version 1).
func Followed(stored string) (tables map[string]bool, ok bool, err error) {
	if stored == "" {
		return nil, false, nil
	}
	h, err := parseHistory(stored)
	if err != nil || h.V < 2 {
		return nil, false, err
	}
	tables = map[string]bool{}
	for k := range h.Tables {
		tables[k] = true
	}
	return tables, true, nil
}
