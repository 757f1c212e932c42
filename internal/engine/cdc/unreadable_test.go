package cdc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// A DDL the parser cannot read (MariaDB's INET6 type, system versioning and column
// compression, MySQL's ALTER COLUMN ... SET INVISIBLE) fails the run when it changes a
// migrated table or creates a table in a database selected whole: left unfollowed, later
// rows would land wrong or the table would go missing. Elsewhere it is left alone.
// INVISIBLE and SRID in a column definition are read (preparse), so the statements left
// out here do not reach the destination this follower lacks.
func TestUnreadableDDLOnSelectedObjectsFails(t *testing.T) {
	f := &follower{
		cfg:    Config{Databases: []Database{{SourceDatabase: "shop", DestDatabase: "shop_dw"}}},
		tables: map[string]*Table{"app.orders": {Table: tablemap.Table{SourceDatabase: "app", SourceTable: "orders"}}},
	}
	for _, c := range []struct {
		defaultDB, query string
		fails            bool
	}{
		{"", "CREATE TABLE shop.x (id INT PRIMARY KEY, a INET6)", true},
		{"shop", "CREATE TABLE `x` (id INT PRIMARY KEY, g POINT NOT NULL SRID 4326, a INT) WITH SYSTEM VERSIONING", true},
		{"", "CREATE TABLE IF NOT EXISTS `shop`.`y` (id INT PRIMARY KEY, a INT /*!80023 INVISIBLE */, b INET6)", true},
		{"", "ALTER TABLE app.orders ALTER COLUMN a SET INVISIBLE", true},
		{"app", "ALTER TABLE orders ADD COLUMN b INT INVISIBLE COMPRESSED", true},
		// Not selected: another database, a temporary table, a table of app not migrated.
		{"", "CREATE TABLE other.x (id INT PRIMARY KEY, a INT INVISIBLE)", false},
		{"", "CREATE TEMPORARY TABLE shop.tmp (a INT INVISIBLE)", false},
		{"", "ALTER TABLE app.customers ALTER COLUMN a SET INVISIBLE", false},
	} {
		err := f.ddl(context.Background(), c.defaultDB, c.query)
		if c.fails && (!errors.Is(err, ErrSchemaChange) || !strings.Contains(err.Error(), "cannot be read")) {
			t.Errorf("%q: got %v, want ErrSchemaChange saying it cannot be read", c.query, err)
		}
		if !c.fails && err != nil {
			t.Errorf("%q: got %v, want it left alone", c.query, err)
		}
	}
}
