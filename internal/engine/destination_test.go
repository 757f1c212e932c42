package engine

import (
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// Qualified references to the source database name the destination one, quoted or not;
// strings, comments, other names and unqualified references stay.
func TestRenameDatabase(t *testing.T) {
	in := "CREATE TRIGGER zoo.t AFTER INSERT ON zoo.a FOR EACH ROW UPDATE `zoo`.k SET n = 'zoo.x' /* zoo.y */ WHERE zoox.id = zoo_a.id AND k.zoo = 1"
	want := "CREATE TRIGGER zoo_copy.t AFTER INSERT ON zoo_copy.a FOR EACH ROW UPDATE `zoo_copy`.k SET n = 'zoo.x' /* zoo.y */ WHERE zoox.id = zoo_a.id AND k.zoo = 1"
	if got := renameDatabase(in, "zoo", "zoo_copy"); got != want {
		t.Errorf("renameDatabase:\n got %s\nwant %s", got, want)
	}
	if got, want := renameDatabase("SELECT zoo.a", "zoo", "my-db"), "SELECT `my-db`.a"; got != want {
		t.Errorf("renameDatabase to a name that needs quotes = %s, want %s", got, want)
	}
}

// A trigger follows its table's rename_to, qualified or not.
func TestRenameTriggerTable(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE TRIGGER x AFTER INSERT ON items FOR EACH ROW SET @a = 1":       "CREATE TRIGGER x AFTER INSERT ON `articles` FOR EACH ROW SET @a = 1",
		"CREATE TRIGGER x BEFORE update ON inv.items FOR EACH ROW SET @a = 1":  "CREATE TRIGGER x BEFORE update ON inv.`articles` FOR EACH ROW SET @a = 1",
		"CREATE TRIGGER x AFTER DELETE ON `inv`.`items` FOR EACH ROW SET @a=1": "CREATE TRIGGER x AFTER DELETE ON `inv`.`articles` FOR EACH ROW SET @a=1",
		"CREATE TRIGGER x AFTER DELETE ON items2 FOR EACH ROW SET @a = 1":      "CREATE TRIGGER x AFTER DELETE ON items2 FOR EACH ROW SET @a = 1",
	} {
		if got := renameTriggerTable(in, "items", "articles"); got != want {
			t.Errorf("renameTriggerTable(%q) = %q, want %q", in, got, want)
		}
	}
}

// Under sql_require_primary_key, a table whose rows a NOT NULL unique key identifies would
// be created without a primary key, and MySQL would refuse it: the precheck names it.
func TestWithoutPrimaryKeyNamesTheTable(t *testing.T) {
	table := func(name, create string, key ...string) tablemap.Table {
		return tablemap.Table{SourceDatabase: "s", SourceTable: name, DestDatabase: "d", DestTable: name,
			Source: &schema.Table{Database: "s", Name: name, CreateSQL: create, Key: key}}
	}
	task := Task{Source: dbconn.Endpoint{Type: dbconn.TypeMySQL}, Destination: dbconn.Endpoint{Type: dbconn.TypeMySQL}}
	maps := []tablemap.Table{
		table("with_pk", "CREATE TABLE `with_pk` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB", "id"),
		table("unique_only", "CREATE TABLE `unique_only` (\n  `code` int(11) NOT NULL,\n  UNIQUE KEY `code` (`code`)\n) ENGINE=InnoDB", "code"),
	}
	err := withoutPrimaryKey(task, maps)
	if err == nil || !strings.Contains(err.Error(), "d.unique_only") || strings.Contains(err.Error(), "with_pk") || !strings.Contains(err.Error(), "3750") {
		t.Errorf("withoutPrimaryKey = %v, want d.unique_only named, and not d.with_pk", err)
	}
	if err := withoutPrimaryKey(task, maps[:1]); err != nil {
		t.Errorf("withoutPrimaryKey of tables with primary keys = %v", err)
	}
}
