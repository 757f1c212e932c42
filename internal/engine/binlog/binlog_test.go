package binlog

import (
	"slices"
	"testing"
)

func TestCompareOrdersByFileThenOffset(t *testing.T) {
	ordered := []Location{
		{},
		{File: "mysql-bin.000001", Pos: 4},
		{File: "mysql-bin.000001", Pos: 900},
		{File: "mysql-bin.000002", Pos: 4},
		{File: "mysql-bin.999999", Pos: 120},
		{File: "mysql-bin.1000000", Pos: 4}, // the extension outgrew its zero padding
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestCompareIgnoresGTIDSets(t *testing.T) {
	a := Location{File: "b.000003", Pos: 10, GTIDSet: "0-1-5"}
	b := Location{File: "b.000003", Pos: 10, GTIDSet: "0-1-9"}
	if a.Compare(b) != 0 {
		t.Errorf("locations at the same file and offset compare %d", a.Compare(b))
	}
}

func TestCompareOtherNamesAsStrings(t *testing.T) {
	if c := (Location{File: "a-bin.000002"}).Compare(Location{File: "b-bin.000001"}); c != -1 {
		t.Errorf("different base names compare %d, want -1 (as strings)", c)
	}
	if c := (Location{File: "log"}).Compare(Location{File: "log.x"}); c != -1 {
		t.Errorf("names without a numeric extension compare %d, want -1", c)
	}
}

func TestMinFuncGivesTheEarliest(t *testing.T) {
	ls := []Location{{File: "f.000002", Pos: 5}, {File: "f.000001", Pos: 700}, {File: "f.000002", Pos: 1}}
	if got := slices.MinFunc(ls, Location.Compare); got != ls[1] {
		t.Errorf("MinFunc = %v, want %v", got, ls[1])
	}
}
