package dialect

import "testing"

func TestQuoteIdent(t *testing.T) {
	cases := map[string]string{
		"orders":         "`orders`",
		"we`ird":         "`we``ird`",
		"a`; DROP x; --": "`a``; DROP x; --`",
		"":               "``",
	}
	for in, want := range cases {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", in, got, want)
		}
	}
	if got := QuoteIdents([]string{"a", "b`"}); got != "`a`, `b```" {
		t.Errorf("QuoteIdents = %q", got)
	}
}
