package precheck

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

type charsetCheck struct{ e *env }

func (charsetCheck) Name() string { return CharsetSupport }

func (c charsetCheck) Check(ctx context.Context) Result {
	if err := c.e.src.reach(ctx); err != nil {
		return c.e.src.unreachable(err)
	}
	if err := c.e.dst.reach(ctx); err != nil {
		return c.e.dst.unreachable(err)
	}
	cat, err := c.e.sourceCatalog(ctx)
	if err != nil {
		return queryFailed(c.e.src, "list the source tables", err)
	}
	charsets, err := dbconn.Strings(ctx, c.e.dst.db, "SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS")
	if err != nil {
		return queryFailed(c.e.dst, "list the character sets", err)
	}
	collations, err := dbconn.Strings(ctx, c.e.dst.db, "SELECT COLLATION_NAME FROM information_schema.COLLATIONS")
	if err != nil {
		return queryFailed(c.e.dst, "list the collations", err)
	}
	// MariaDB 10.10+ lists collations such as uca1400_ai_ci once for all character sets;
	// columns name them in full (utf8mb4_uca1400_ai_ci), as this view does.
	if full, err := dbconn.Strings(ctx, c.e.dst.db, "SELECT FULL_COLLATION_NAME FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY"); err == nil {
		collations = append(collations, full...)
	}
	known := map[string]bool{}
	for _, n := range append(charsets, collations...) {
		known[canonicalCharset(n)] = true
	}
	// unsupported name -> objects using it
	users := map[string][]string{}
	var names []string
	use := func(kind, name, object string) {
		if name == "" {
			return
		}
		key := kind + " " + name
		if kind == "collation" {
			// The schema phase gives the destination the equivalent of a collation the
			// other of MySQL and MariaDB names differently (dialect.CollationFor).
			if mapped := dialect.CollationFor(name, c.e.in.SourceType, c.e.in.DestinationType); mapped != name {
				key, name = fmt.Sprintf("collation %s (%s on the destination)", name, mapped), mapped
			}
		}
		if known[canonicalCharset(name)] {
			return
		}
		if _, ok := users[key]; !ok {
			names = append(names, key)
		}
		if !slices.Contains(users[key], object) {
			users[key] = append(users[key], object)
		}
	}
	for _, t := range c.e.in.Tables {
		info := cat.lookup(t.SourceDatabase, t.SourceTable)
		if info == nil {
			continue
		}
		use("collation", info.Collation, t.Name())
		for _, col := range info.Columns {
			use("character set", col.Charset, t.Name()+"."+col.Name)
			use("collation", col.Collation, t.Name()+"."+col.Name)
		}
	}
	if len(names) == 0 {
		return passed("the destination supports every character set and collation of the selected tables")
	}
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s (used by %s)", n, listNames(users[n])))
	}
	return Result{
		State:   Failed,
		Message: "the destination does not support " + strings.Join(parts, "; "),
		Remedy:  "convert these source columns and tables to a character set and collation the destination supports (ALTER TABLE ... CONVERT TO CHARACTER SET ... COLLATE ...), or create the destination tables yourself and migrate without schema migration",
	}
}

// canonicalCharset folds the names of the 3-byte UTF-8 character set, which servers call
// utf8 or utf8mb3, so that one name matches the other.
func canonicalCharset(name string) string {
	name = strings.ToLower(name)
	switch {
	case name == "utf8mb3":
		return "utf8"
	case strings.HasPrefix(name, "utf8mb3_"):
		return "utf8_" + strings.TrimPrefix(name, "utf8mb3_")
	}
	return name
}
