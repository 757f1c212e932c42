package sqltext

import (
	"reflect"
	"testing"
)

func TestSkipAtom(t *testing.T) {
	tests := []struct {
		s    string
		i    int
		want int
	}{
		{"abc", 0, 1},
		{"a(b", 1, 2},
		{"'abc' x", 0, 5},
		{`"abc" x`, 0, 5},
		{`'a\'b' x`, 0, 6},
		{`'a''b' x`, 0, 6},
		{`"a""b" x`, 0, 6},
		{`"a\"b" x`, 0, 6},
		{`'a"b' x`, 0, 5},
		{`'a\\' x`, 0, 5},
		{"`a` x", 0, 3},
		{"`a``b` x", 0, 6},
		{"`a\\` x", 0, 4}, // no backslash escapes in identifiers
		{"`a'b` x", 0, 5},
		{"/* c */ x", 0, 7},
		{"/*!50100 PARTITION BY HASH (`id`) */ x", 0, 36},
		{"/ x", 0, 1},
		{"x /* 'q */ y", 2, 10},
		{"'unterminated", 0, 13},
		{"`unterminated", 0, 13},
		{`'a\`, 0, 3},
		{"/* unterminated", 0, 15},
		{"/", 0, 1},
		{"`", 0, 1},
	}
	for _, tt := range tests {
		if got := SkipAtom(tt.s, tt.i); got != tt.want {
			t.Errorf("SkipAtom(%q, %d) = %d, want %d", tt.s, tt.i, got, tt.want)
		}
	}
}

func TestMatchParen(t *testing.T) {
	tests := []struct {
		s    string
		open int
		want int
	}{
		{"()", 0, 1},
		{"(a(b)c) d", 0, 6},
		{"x (a(b)c)", 4, 6},
		{"(')' `)` \")\" /* ) */)", 0, 20},
		{"('(' `(` /* ( */)", 0, 16},
		{"((a)", 0, -1},
		{"(')", 0, -1},
		{"(/* ) ", 0, -1},
	}
	for _, tt := range tests {
		if got := MatchParen(tt.s, tt.open); got != tt.want {
			t.Errorf("MatchParen(%q, %d) = %d, want %d", tt.s, tt.open, got, tt.want)
		}
	}
}

func TestSplitTopLevel(t *testing.T) {
	tests := []struct {
		s    string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{" a , b ,c ", []string{"a", "b", "c"}},
		{"a,", []string{"a", ""}},
		{",", []string{"", ""}},
		{"f(a, b), c", []string{"f(a, b)", "c"}},
		{"'a,b', `c,d`, \"e,f\", /* g, h */ i", []string{"'a,b'", "`c,d`", "\"e,f\"", "/* g, h */ i"}},
		{"'it''s, x', `a``,b`", []string{"'it''s, x'", "`a``,b`"}},
		{`'a\', b', c`, []string{`'a\', b'`, "c"}},
		{"\n  `id` int,\n  PRIMARY KEY (`id`, `b`)\n", []string{"`id` int", "PRIMARY KEY (`id`, `b`)"}},
	}
	for _, tt := range tests {
		if got := SplitTopLevel(tt.s); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitTopLevel(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestUnquoteIdent(t *testing.T) {
	tests := map[string]string{
		"``":        "",
		"`a`":       "a",
		"`a``b`":    "a`b",
		"````":      "`",
		"`a b.c`":   "a b.c",
		"`\\`":      "\\",
		"`名前`":      "名前",
		"`a````b`":  "a``b",
		"`'x' \"y`": "'x' \"y",
	}
	for q, want := range tests {
		if got := UnquoteIdent(q); got != want {
			t.Errorf("UnquoteIdent(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestQuotedIdent(t *testing.T) {
	tests := []struct {
		s        string
		i        int
		wantName string
		wantEnd  int
		wantOK   bool
	}{
		{"`a` int", 0, "a", 3, true},
		{"`a``b` int", 0, "a`b", 6, true},
		{"x `b`", 2, "b", 5, true},
		{"``", 0, "", 2, true},
		{"`", 0, "", 1, false},
		{"`abc", 0, "", 4, false},
		{"'a'", 0, "", 3, false},
		{"abc", 0, "", 1, false},
		{"/* `a` */", 0, "", 9, false},
	}
	for _, tt := range tests {
		name, end, ok := QuotedIdent(tt.s, tt.i)
		if name != tt.wantName || end != tt.wantEnd || ok != tt.wantOK {
			t.Errorf("QuotedIdent(%q, %d) = %q, %d, %v, want %q, %d, %v",
				tt.s, tt.i, name, end, ok, tt.wantName, tt.wantEnd, tt.wantOK)
		}
	}
}

func TestIsWordByte(t *testing.T) {
	for _, c := range []byte("azAZ09_$\x80\xff") {
		if !IsWordByte(c) {
			t.Errorf("IsWordByte(%q) = false, want true", c)
		}
	}
	for _, c := range []byte(" \t\n\r.,()`'\"=/*-+;") {
		if IsWordByte(c) {
			t.Errorf("IsWordByte(%q) = true, want false", c)
		}
	}
}
