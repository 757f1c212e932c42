package schema

import "testing"

func TestDestinationDDLDropsForeignKeysAndRenames(t *testing.T) {
	src := &Table{Database: "shop", Name: "order_items", CreateSQL: "CREATE TABLE `order_items` (\n" +
		"  `id` int(11) NOT NULL,\n" +
		"  `order_id` int(11) NOT NULL,\n" +
		"  `note` varchar(20) DEFAULT 'a,\\n)b',\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `order_id` (`order_id`),\n" +
		"  CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"}
	got, err := DestinationDDL(src, "shop_copy", "items")
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE TABLE `shop_copy`.`items` (\n" +
		"  `id` int(11) NOT NULL,\n" +
		"  `order_id` int(11) NOT NULL,\n" +
		"  `note` varchar(20) DEFAULT 'a,\\n)b',\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `order_id` (`order_id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
	if got != want {
		t.Errorf("DestinationDDL:\n%s\nwant:\n%s", got, want)
	}
}

func TestDestinationDDLRejectsUnexpectedInput(t *testing.T) {
	if _, err := DestinationDDL(&Table{Database: "d", Name: "v", CreateSQL: "CREATE VIEW `v` AS SELECT 1"}, "d", "v"); err == nil {
		t.Fatal("want an error for a view definition")
	}
}
