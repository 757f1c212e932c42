package api

import "testing"

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
