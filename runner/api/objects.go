package api

import (
	"encoding/json"
	"slices"
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
