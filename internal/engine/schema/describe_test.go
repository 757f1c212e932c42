package schema

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// DescribeAll, which reads the columns and keys of a whole database at once, describes
// every table exactly as Describe does on its own: keys of every kind, no key, generated
// columns, ENUM members SHOW CREATE TABLE prints as '?', and a name it must look up alone.
func TestDescribeAllMatchesDescribe(t *testing.T) {
	s, _ := mariadbtest.SharedPair(t)
	s.Exec(t, "CREATE DATABASE d")
	var names []string
	for i := range 20 {
		var stmt string
		switch i % 5 {
		case 0:
			stmt = "CREATE TABLE d.%s (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(20) CHARACTER SET latin1, KEY (k))"
		case 1:
			stmt = "CREATE TABLE d.%s (a VARCHAR(10) NOT NULL, b INT NOT NULL, n TEXT, PRIMARY KEY (b, a))"
		case 2:
			// A nullable unique key is no key; the NOT NULL one after it by name is.
			stmt = "CREATE TABLE d.%s (x INT NULL, y BIGINT UNSIGNED NOT NULL, g INT AS (y + 1) VIRTUAL, UNIQUE KEY a_x (x), UNIQUE KEY b_y (y))"
		case 3:
			stmt = "CREATE TABLE d.%s (v VARCHAR(5), e ENUM('a', '😀', 'b') CHARACTER SET utf8mb4, st SET('x', 'y'))"
		case 4:
			stmt = "CREATE TABLE d.%s (p VARCHAR(40) NOT NULL, UNIQUE KEY (p(10)), q INT NOT NULL, UNIQUE KEY (q))"
		}
		name := fmt.Sprintf("t%02d", i)
		s.Exec(t, fmt.Sprintf(stmt, name))
		names = append(names, name)
	}
	db := s.DB(t, "")
	ctx := context.Background()
	all, err := DescribeAll(ctx, db, "d", names, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		one, err := Describe(ctx, db, "d", name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(all[i], one) {
			t.Errorf("%s:\nDescribeAll %+v\nDescribe    %+v", name, *all[i], *one)
		}
	}
	// "T03" is not an exact name in the database: on this server it is another table's
	// name in other letters, or no table at all; either way DescribeAll answers as
	// Describe does.
	one, oneErr := Describe(ctx, db, "d", "T03")
	withOdd, allErr := DescribeAll(ctx, db, "d", append(names, "T03"), 3)
	switch {
	case oneErr != nil && (allErr == nil || allErr.Error() != oneErr.Error()):
		t.Errorf("Describe(T03): %v; DescribeAll: %v, want the same error", oneErr, allErr)
	case oneErr == nil && allErr != nil:
		t.Errorf("Describe(T03) works, DescribeAll: %v", allErr)
	case oneErr == nil && !reflect.DeepEqual(withOdd[len(names)], one):
		t.Errorf("T03:\nDescribeAll %+v\nDescribe    %+v", *withOdd[len(names)], *one)
	}
	if got := all[3].Columns[1].Members; !reflect.DeepEqual(got, []string{"a", "😀", "b"}) {
		t.Errorf("t03 members of e = %q, want the emoji recovered", got)
	}
	if got := all[2].Key; !reflect.DeepEqual(got, []string{"y"}) {
		t.Errorf("t02 key = %q, want [y]", got)
	}
}

// A functional key part (MySQL 8.0.13+) has a NULL COLUMN_NAME in
// information_schema.STATISTICS: the rows of keysQuery are read without failing, and the key
// is not chosen. MariaDB has no functional index, so its rows are made by a SELECT of the
// same shape.
func TestReadKeysTakesAFunctionalKeyPart(t *testing.T) {
	s, _ := mariadbtest.SharedPair(t)
	rows, err := s.DB(t, "").Query("SELECT 't', 'fx', NULL, 0, 0 UNION ALL SELECT 't', 'uk', 'a', 0, 0 UNION ALL SELECT 'u', 'only_fx', NULL, 0, 0")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := readKeys(rows)
	if err != nil {
		t.Fatalf("readKeys = %v, want the functional key part read", err)
	}
	if got := keys["t"]; len(got) != 1 || got[0] != "a" {
		t.Errorf("key of t = %q, want the unique key on a, not the functional one", got)
	}
	if got, ok := keys["u"]; ok {
		t.Errorf("key of u = %q, want none: its only unique key is on an expression", got)
	}
}
