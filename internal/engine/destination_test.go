package engine

import "testing"

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
