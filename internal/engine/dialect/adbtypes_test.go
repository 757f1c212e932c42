package dialect

import (
	"slices"
	"strings"
	"testing"
)

// Each MySQL or MariaDB type becomes the AnalyticDB type that keeps its values, and a type
// whose values would change is refused with the way out.
func TestADBColumnType(t *testing.T) {
	for def, want := range map[string]string{
		"tinyint(1) NOT NULL DEFAULT 0":           "tinyint NOT NULL DEFAULT 0",
		"tinyint(3) unsigned NOT NULL":            "smallint NOT NULL",
		"smallint(5) unsigned":                    "int",
		"mediumint(8) unsigned DEFAULT NULL":      "int DEFAULT NULL",
		"mediumint(9)":                            "int",
		"int(11) NOT NULL":                        "int NOT NULL",
		"int(10) unsigned zerofill":               "bigint",
		"int(11) NOT NULL AUTO_INCREMENT":         "bigint NOT NULL AUTO_INCREMENT",
		"bigint(20) unsigned NOT NULL":            "decimal(20,0) NOT NULL",
		"bigint(20) DEFAULT NULL":                 "bigint DEFAULT NULL",
		"BIGINT UNSIGNED NOT NULL":                "decimal(20,0) NOT NULL",
		"bigint unsigned NOT NULL AUTO_INCREMENT": "bigint NOT NULL AUTO_INCREMENT",
		"DECIMAL (12, 2) DEFAULT 0.00":            "decimal(12,2) DEFAULT 0.00",
		"float(7,4) unsigned":                     "float",
		"double DEFAULT NULL":                     "double DEFAULT NULL",
		"decimal(38,10) unsigned NOT NULL":        "decimal(38,10) NOT NULL",
		"decimal(10,0)":                           "decimal(10,0)",
		"char(2) NOT NULL":                        "varchar(2) NOT NULL",
		"varchar(100) NOT NULL DEFAULT 'a,)b'":    "varchar(100) NOT NULL DEFAULT 'a,)b'",
		"mediumtext DEFAULT NULL":                 "varchar(16777215) DEFAULT NULL",
		"longtext":                                "varchar(16777216)", "tinytext": "varchar(255)", "text NOT NULL": "varchar(65535) NOT NULL",
		"varbinary(16) NOT NULL": "binary(16) NOT NULL",
		"blob":                   "binary(65535)", "longblob": "binary(16777216)", "tinyblob": "binary(255)",
		"year(4) DEFAULT NULL":        "smallint DEFAULT NULL",
		"date NOT NULL":               "date NOT NULL",
		"datetime(3) NOT NULL":        "datetime(3) NOT NULL",
		"timestamp NULL DEFAULT NULL": "timestamp NULL DEFAULT NULL",
		"time":                        "time",
		"json DEFAULT NULL":           "json DEFAULT NULL",
		// ENUM and SET hold their member text: the longest member, or all of them.
		"enum('a','bb') NOT NULL DEFAULT 'a'":       "varchar(2) NOT NULL DEFAULT 'a'",
		"enum('', 'with space', 'x,y', 'quote''s')": "varchar(10)",
		"set('a','b','c d') DEFAULT 'a,b'":          "varchar(7) DEFAULT 'a,b'",
		"enum('é','ß') CHARACTER SET latin1":        "varchar(1) CHARACTER SET latin1",
		// BIT holds its unsigned number; a default written as bits becomes that number.
		"bit(1) NOT NULL DEFAULT b'1'": "bigint NOT NULL DEFAULT 1",
		"bit(10) DEFAULT b'101'":       "bigint DEFAULT 5",
		"bit(63) DEFAULT NULL":         "bigint DEFAULT NULL",
		"bit(64) NOT NULL DEFAULT b'1000000000000000000000000000000000000000000000000000000000000000'": "decimal(20,0) NOT NULL DEFAULT 9223372036854775808",
		"bit":                   "bigint",
		"BIT(8) DEFAULT b''":    "bigint DEFAULT 0",
		"bit(3) COMMENT 'b''1'": "bigint COMMENT 'b''1'",
	} {
		got, loss, err := adbColumnType(def)
		if err != nil || got != want || loss != "" {
			t.Errorf("adbColumnType(%q) = %q, loss %q, %v; want %q", def, got, loss, err, want)
		}
	}
	// Lossy: mapped to the nearest type, and the loss said.
	for def, c := range map[string]struct{ want, says string }{
		"decimal(40,2) NOT NULL": {"decimal(38,0) NOT NULL", "becomes DECIMAL(38,0)"},
		"decimal(65,30)":         {"decimal(38,3)", "DECIMAL(38,3), and a value that does not fit it exactly stops the copy"},
		"datetime(6) NOT NULL":   {"datetime(3) NOT NULL", "becomes DATETIME(3)"},
		"time(4)":                {"time(3)", "digits after the millisecond stops the copy"},
		"timestamp(6) NULL":      {"timestamp(3) NULL", "6 digits"},
	} {
		got, loss, err := adbColumnType(def)
		if err != nil || got != c.want || !strings.Contains(loss, c.says) {
			t.Errorf("adbColumnType(%q) = %q, loss %q, %v; want %q and a loss saying %q", def, got, loss, err, c.want, c.says)
		}
	}
	for def, says := range map[string][]string{
		"bit(65)":   {"BIT arguments", "from 1 to 64"},
		"enum('a',": {"does not end"},
		"geometry":  {"GEOMETRY", "not one AnalyticDB has"},
		"  ":        {"does not start with a type"},
	} {
		_, _, err := adbColumnType(def)
		if err == nil {
			t.Errorf("adbColumnType(%q) accepted", def)
			continue
		}
		for _, s := range says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("adbColumnType(%q) = %v, want it to say %q", def, err, s)
			}
		}
	}
	tb := Table{Database: "d", Name: "t", SourceFlavor: MySQL, Columns: []Column{{"a", "decimal(40,2)"}, {"b", "int"}, {"c", "datetime(6)"}}}
	if got := ValueLoss(tb, ADBMySQL); len(got) != 2 || !strings.Contains(got[0], "`d`.`t`.`a`") || !strings.Contains(got[1], "`c`") {
		t.Errorf("ValueLoss = %q, want columns a and c", got)
	}
	if got := ValueLoss(tb, MariaDB); got != nil {
		t.Errorf("ValueLoss to MariaDB = %q, want none", got)
	}
}

// A source's secondary indexes become single-column indexes, each column once, with a
// note for each index that did not carry over as it was.
func TestADBSecondaryIndexes(t *testing.T) {
	tb := Table{
		Database: "crm", Name: "people", SourceFlavor: MariaDB, PrimaryKey: []string{"id"},
		Indexes: []Index{
			{Kind: "KEY", Name: "by_name", Columns: []string{"name"}, Raw: "KEY `by_name` (`name`)"},
			{Kind: "UNIQUE", Name: "uk_mail", Columns: []string{"mail"}, Raw: "UNIQUE KEY `uk_mail` (`mail`)"},
			{Kind: "KEY", Name: "name_day", Columns: []string{"name", "day"}, Raw: "KEY `name_day` (`name`(10),`day` DESC) COMMENT 'c'"},
			{Kind: "KEY", Name: "by_id", Columns: []string{"id"}, Raw: "KEY `by_id` (`id`)"},
			{Kind: "KEY", Name: "lower_name", Raw: "KEY `lower_name` ((lower(`name`)))"},
			{Kind: "SPATIAL", Name: "at", Columns: []string{"pos"}, Raw: "SPATIAL KEY `at` (`pos`)"},
			{Kind: "FULLTEXT", Name: "ft", Columns: []string{"bio"}, Raw: "FULLTEXT KEY `ft` (`bio`)"},
		},
	}
	got, notes := ADBSecondaryIndexes(tb)
	var names []string
	for _, ix := range got {
		names = append(names, ix.Kind+" "+ix.Name+" "+strings.Join(ix.Columns, ","))
	}
	want := []string{"KEY by_name name", "KEY uk_mail mail", "KEY name_day_day day", "FULLTEXT ft bio"}
	if !slices.Equal(names, want) {
		t.Errorf("indexes %q, want %q", names, want)
	}
	joined := strings.Join(notes, "\n")
	for _, s := range []string{
		"UNIQUE index `uk_mail` (`mail`) becomes single-column indexes on `mail`; uniqueness is not enforced",
		"KEY index `name_day` (`name`, `day`) becomes single-column indexes on `day`",
		"KEY index `by_id` (`id`) becomes nothing",
		"`lower_name` is on an expression",
		"SPATIAL index `at` is not created",
	} {
		if !strings.Contains(joined, s) {
			t.Errorf("notes do not say %q:\n%s", s, joined)
		}
	}
	if strings.Contains(joined, "`by_name`") || strings.Contains(joined, "`ft`") {
		t.Errorf("an index that carried over as it was has a note:\n%s", joined)
	}
	tb.SourceFlavor = ADBMySQL
	if got, notes := ADBSecondaryIndexes(tb); len(got) != len(tb.Indexes) || notes != nil {
		t.Errorf("an AnalyticDB source's indexes changed: %v %v", got, notes)
	}
}
