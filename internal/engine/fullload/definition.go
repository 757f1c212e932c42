// Fingerprints: a DDL on the source during the copy is found by its definition's hash.

package fullload

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// ErrDefinitionChanged wraps the error of a copy whose source table a DDL changed in a way
// the task cannot follow: no retry fixes it.
var ErrDefinitionChanged = errors.New("source table changed during the copy")

// checkDefinition fails when the source table's definition changed since its copy was
// planned: DDL ran during the migration, which the seed forbids. With follow, a change that
// leaves the table's planned columns as they were passes: incremental migration applies it.
// want is what planTable recorded: the definition's fingerprint, then after a colon its
// columns' (plans recorded before the colon have only the former).
func checkDefinition(ctx context.Context, src *sql.DB, t *schema.Table, want string, follow bool) error {
	var name, create string
	if err := src.QueryRowContext(ctx, "SHOW CREATE TABLE "+dialect.QuoteTable(t.Database, t.Name)).Scan(&name, &create); err != nil {
		return fmt.Errorf("re-reading the definition of %s.%s (a DDL during schema or full migration, which is not supported, may have dropped or renamed it): %w", t.Database, t.Name, err)
	}
	whole, cols, _ := strings.Cut(want, ":")
	if fingerprint(create) == whole {
		return nil
	}
	if follow && cols != "" && columnsFingerprint(create, t.Columns) == cols {
		return nil
	}
	return fmt.Errorf("%w: DDL changed source table %s.%s during schema or full migration, which is not supported (an added column, an index or a table option is, "+
		"with incremental migration, which applies it after the copy): the destination may not match it; drop the destination table and create a new task, "+
		"and run no other DDL on the source until the full migration completes", ErrDefinitionChanged, t.Database, t.Name)
}

// fingerprint hashes a definition without its AUTO_INCREMENT counter, which inserts move.
func fingerprint(create string) string {
	var b strings.Builder
	for _, f := range strings.Fields(create) {
		if strings.HasPrefix(f, "AUTO_INCREMENT=") {
			continue
		}
		b.WriteString(f)
		b.WriteByte(' ')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
}

// columnsFingerprint hashes the definitions of cols in a CREATE TABLE, in cols' order: it
// stays the same when columns are added, or indexes and options change. A definition that
// does not parse, or lacks one of cols, hashes to "" (a change).
func columnsFingerprint(create string, cols []schema.Column) string {
	def, err := schema.ParseCreateTable(create)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, c := range cols {
		cd, ok := def.Column(c.Name)
		if !ok {
			return ""
		}
		b.WriteString(cd.Name + " " + strings.Join(strings.Fields(cd.Definition), " ") + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:15]) // with the definition's, it fits the plan's 64 characters
}

// changedOr returns the definition error when a DDL changed j's source table since def
// was recorded, else err: a column dropped between two chunks fails the next chunk's read,
// and the user needs to hear about the DDL, not about the column the read named.
func changedOr(ctx context.Context, src *sql.DB, j tablemap.Table, def string, opts Options, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if derr := checkDefinition(ctx, src, j.Source, def, opts.FollowDDL); errors.Is(derr, ErrDefinitionChanged) {
		return derr
	}
	return err
}
