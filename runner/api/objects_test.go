package api

import (
	"slices"
	"testing"
)

func TestObjectsOnlyAdded(t *testing.T) {
	whole := Object{Database: "crm"}
	listed := Object{Database: "shop", Tables: []Table{{Name: "orders", Where: "id > 1"}}}
	for _, c := range []struct {
		name      string
		old, next []Object
		want      bool
	}{
		{"no change", []Object{whole}, []Object{whole}, false},
		{"new object", []Object{whole}, []Object{whole, {Database: "sales"}}, true},
		{"new object first", []Object{whole}, []Object{{Database: "sales"}, whole}, true},
		{"new table", []Object{listed}, []Object{{Database: "shop", Tables: []Table{listed.Tables[0], {Name: "items"}}}}, true},
		{"object removed", []Object{whole, listed}, []Object{whole}, false},
		{"table removed", []Object{{Database: "shop", Tables: []Table{{Name: "a"}, {Name: "b"}}}}, []Object{{Database: "shop", Tables: []Table{{Name: "a"}}}}, false},
		{"table changed", []Object{listed}, []Object{{Database: "shop", Tables: []Table{{Name: "orders", Where: "id > 2"}, {Name: "items"}}}}, false},
		{"database renamed", []Object{whole}, []Object{{Database: "crm", RenameTo: "crm2"}, {Database: "sales"}}, false},
		{"whole database narrowed", []Object{whole}, []Object{{Database: "crm", Tables: []Table{{Name: "a"}}}}, false},
	} {
		if got := ObjectsOnlyAdded(c.old, c.next); got != c.want {
			t.Errorf("%s: ObjectsOnlyAdded = %v, want %v", c.name, got, c.want)
		}
	}
}

// ImmutableFieldChanged names the first field that cannot change in place, and nothing
// for a change that applies in place; objects may only grow on a task that can add tables.
func TestImmutableFieldChanged(t *testing.T) {
	base := TaskSpec{SourceConnectionID: "a", DestinationConnectionID: "b",
		MigrationTypes: []MigrationType{MigrationFull, MigrationIncremental}, Objects: []Object{{Database: "crm"}}}
	for _, c := range []struct {
		want   string
		change func(*TaskSpec)
	}{
		{"", func(s *TaskSpec) {
			s.Name, s.DesiredStatus, s.FullThrottling = "renamed", DesiredStopped, &Throttling{RPS: 5}
		}},
		{"", func(s *TaskSpec) { s.Objects = append(s.Objects, Object{Database: "sales"}) }},
		{"objects", func(s *TaskSpec) { s.MergeTables, s.Objects = false, nil }},
		{"source_connection_id", func(s *TaskSpec) { s.SourceConnectionID, s.InstanceClass = "c", "large" }},
		{"instance_class", func(s *TaskSpec) { s.InstanceClass = "large" }},
		{"ddl_operations", func(s *TaskSpec) { s.DDLOperations = []Operation{DDLAddIndex} }},
		// The defaults, named in another order, are the operations an empty list applies.
		{"", func(s *TaskSpec) {
			s.DMLOperations, s.DDLOperations = []Operation{DMLDelete, DMLInsert, DMLUpdate}, []Operation{DDLDropColumn, DDLAddColumn}
		}},
		{"dml_operations", func(s *TaskSpec) { s.DMLOperations = []Operation{DMLInsert} }},
		{"schema_objects_definer", func(s *TaskSpec) { s.SchemaObjectsDefiner = DefinerKeep }},
	} {
		next := base
		next.Objects = slices.Clone(base.Objects)
		c.change(&next)
		if got := ImmutableFieldChanged(base, next); got != c.want {
			t.Errorf("ImmutableFieldChanged = %q, want %q", got, c.want)
		}
	}
	if fields := ImmutableFields(); len(fields) != 11 || fields[0] != "source_connection_id" {
		t.Errorf("ImmutableFields() = %v", fields)
	}
}

// A task without incremental migration applies no operations: an update that sends none
// changes nothing of one that an older runner stored with the provider's default.
func TestImmutableFieldChangedOperationsWithoutIncremental(t *testing.T) {
	stored := TaskSpec{SourceConnectionID: "a", DestinationConnectionID: "b",
		MigrationTypes: []MigrationType{MigrationSchema, MigrationFull}, Objects: []Object{{Database: "crm"}},
		DMLOperations: []Operation{DMLDelete, DMLInsert, DMLUpdate}, DDLOperations: []Operation{DDLAddColumn, DDLDropColumn}}
	next := stored
	next.DMLOperations, next.DDLOperations, next.Name = nil, nil, "renamed"
	if got := ImmutableFieldChanged(stored, next); got != "" {
		t.Errorf("ImmutableFieldChanged = %q, want an update in place", got)
	}
}

// A task that should run is started again from Failed, PrecheckFailed and Stopped, and
// from no other status.
func TestRestartable(t *testing.T) {
	for _, s := range Statuses {
		want := s == StatusFailed || s == StatusPrecheckFailed || s == StatusStopped
		if got := Restartable(s); got != want {
			t.Errorf("Restartable(%s) = %v, want %v", s, got, want)
		}
	}
}
