package api

import (
	"encoding/json"
	"slices"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// ObjectsOnlyAdded reports whether the selection next keeps every object and table of old
// unchanged and only adds to it: new objects, or new table blocks in an object that lists
// its tables. Such a change applies to a running task with full and incremental migration:
// the runner copies the added tables and goes on. Any other change needs a new task.
func ObjectsOnlyAdded(old, next []Object) bool {
	if sameJSON(old, next) {
		return false // no change at all
	}
	for _, o := range old {
		i := slices.IndexFunc(next, func(n Object) bool { return n.Database == o.Database })
		if i < 0 {
			return false
		}
		n := next[i]
		if n.RenameTo != o.RenameTo || (len(o.Tables) == 0) != (len(n.Tables) == 0) {
			return false
		}
		for _, t := range o.Tables {
			j := slices.IndexFunc(n.Tables, func(nt Table) bool { return nt.Name == t.Name })
			if j < 0 || !sameJSON(t, n.Tables[j]) {
				return false
			}
		}
	}
	return true
}

// TablesAddable reports whether tables can be added to the task in place: it copies and
// then replicates (full and incremental migration), without merging tables.
func TablesAddable(t TaskSpec) bool {
	return slices.Contains(t.MigrationTypes, MigrationFull) && slices.Contains(t.MigrationTypes, MigrationIncremental) && !t.MergeTables
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// immutableFields are the TaskSpec fields that cannot change in place, in the API's JSON
// names, each with how to tell that it did not change.
var immutableFields = []struct {
	field string
	same  func(old, next TaskSpec) bool
}{
	{"source_connection_id", func(o, n TaskSpec) bool { return o.SourceConnectionID == n.SourceConnectionID }},
	{"destination_connection_id", func(o, n TaskSpec) bool { return o.DestinationConnectionID == n.DestinationConnectionID }},
	{"migration_types", func(o, n TaskSpec) bool { return slices.Equal(o.MigrationTypes, n.MigrationTypes) }},
	{"objects", func(o, n TaskSpec) bool {
		return sameJSON(o.Objects, n.Objects) || (TablesAddable(o) && ObjectsOnlyAdded(o.Objects, n.Objects))
	}},
	{"conflict_handling", func(o, n TaskSpec) bool { return o.ConflictHandling == n.ConflictHandling }},
	{"merge_tables", func(o, n TaskSpec) bool { return o.MergeTables == n.MergeTables }},
	{"instance_class", func(o, n TaskSpec) bool { return o.InstanceClass == n.InstanceClass }},
	{"dml_operations", func(o, n TaskSpec) bool {
		return sameOperations(n, o.DMLOperations, n.DMLOperations, vocab.DMLOrDefault)
	}},
	{"ddl_operations", func(o, n TaskSpec) bool {
		return sameOperations(n, o.DDLOperations, n.DDLOperations, vocab.DDLOrDefault)
	}},
	{"schema_objects", func(o, n TaskSpec) bool { return slices.Equal(o.SchemaObjects, n.SchemaObjects) }},
	{"schema_objects_definer", func(o, n TaskSpec) bool { return o.SchemaObjectsDefiner == n.SchemaObjectsDefiner }},
}

// sameOperations reports whether old and next, the operations of two specs of a task
// with next's migration types, apply the same: any two do when the task has no
// incremental migration, which applies none (older runners stored the provider's default
// there, newer providers send none); otherwise the same set once orDefault has filled in
// an empty list.
func sameOperations(next TaskSpec, old, nextOps []Operation, orDefault func([]Operation) []Operation) bool {
	if !slices.Contains(next.MigrationTypes, MigrationIncremental) {
		return true
	}
	return slices.Equal(slices.Sorted(slices.Values(orDefault(old))), slices.Sorted(slices.Values(orDefault(nextOps))))
}

// ImmutableFields lists, in the API's JSON names, the TaskSpec fields that cannot change in
// place: a change to one needs a new task (the runner refuses it with 409, the provider
// plans a replacement). objects is among them, except that tables may be added to a task
// that TablesAddable says can take them (ObjectsOnlyAdded). Every other field changes in
// place.
func ImmutableFields() []string {
	out := make([]string, len(immutableFields))
	for i, f := range immutableFields {
		out[i] = f.field
	}
	return out
}

// ImmutableFieldChanged returns the first of ImmutableFields whose value differs between
// old, a stored task's spec, and next, the spec of an update; "" when the update can apply
// in place.
func ImmutableFieldChanged(old, next TaskSpec) string {
	for _, f := range immutableFields {
		if !f.same(old, next) {
			return f.field
		}
	}
	return ""
}

// Restartable reports whether a task in status, whose desired status is running, is
// started again by an update, from its checkpoints: it failed, failed its precheck, or was
// stopped (outside Terraform). The runner restarts such a task on every update that keeps
// desired_status running; the provider plans that update (with a warning) for such drift.
func Restartable(status Status) bool {
	switch status {
	case StatusFailed, StatusPrecheckFailed, StatusStopped:
		return true
	}
	return false
}
