package precheck

import (
	"strings"
	"testing"
)

func TestParseGrants(t *testing.T) {
	gs := parseGrants([]string{
		"GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*ABC'",
		"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `u`@`%`",
		"GRANT SELECT, INSERT ON `shop`.* TO `u`@`%`",
		"GRANT ALL PRIVILEGES ON `app\\_%`.* TO `u`@`%` WITH GRANT OPTION",
		"GRANT SELECT ON `other`.`orders` TO `u`@`%`",
		"GRANT SELECT (`id`, `name`), UPDATE (`name`) ON `other`.`people` TO `u`@`%`",
		"GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `u`@`%`",
		"GRANT PROXY ON ''@'%' TO 'u'@'%' WITH GRANT OPTION",
		"SET DEFAULT ROLE `r1` FOR `u`@`%`",
	})
	if len(gs.roles) != 0 || len(gs.unsure) != 0 {
		t.Fatalf("roles %q, unsure %q; want none", gs.roles, gs.unsure)
	}
	tests := []struct {
		priv, db, table string
		want            bool
	}{
		{"REPLICATION SLAVE", "*", "", true},
		{"BINLOG MONITOR", "*", "", true},
		{"REPLICATION CLIENT", "*", "", false},
		{"SELECT", "shop", "items", true},
		{"SELECT", "SHOP", "items", true},
		{"INSERT", "shop", "", true},
		{"DELETE", "shop", "items", false},
		{"DELETE", "app_1", "t", true},
		{"CREATE", "app_x", "", true},
		{"CREATE", "appx1", "", false}, // the escaped _ is literal
		{"SELECT", "other", "orders", true},
		{"SELECT", "other", "", false},
		{"SELECT", "other", "customers", false},
		{"SELECT", "other", "people", false}, // only some columns
		{"SELECT", "nope", "t", false},
		{"REPLICATION SLAVE", "shop", "t", true}, // a global privilege covers every table
		{"SELECT", "*", "", false},
	}
	for _, tt := range tests {
		if got := gs.allows(tt.priv, tt.db, tt.table); got != tt.want {
			t.Errorf("allows(%q, %q, %q) = %v, want %v", tt.priv, tt.db, tt.table, got, tt.want)
		}
	}
	if !gs.partly("SELECT", "other", "people") || !gs.partly("UPDATE", "other", "people") || gs.partly("INSERT", "other", "people") {
		t.Error("column privileges on other.people not recognised")
	}
	if !gs.allowsAny("REPLICATION CLIENT", "BINLOG MONITOR") {
		t.Error("allowsAny(REPLICATION CLIENT, BINLOG MONITOR) = false")
	}
}

func TestParseGrantsAllOnStarStar(t *testing.T) {
	for _, line := range []string{
		"GRANT ALL PRIVILEGES ON *.* TO `adbm`@`%` IDENTIFIED BY PASSWORD '*X' WITH GRANT OPTION",
		"GRANT ALL ON *.* TO 'adbm'@'localhost'",
		"grant all privileges on *.* to adbm@localhost",
	} {
		gs := parseGrants([]string{line})
		for _, p := range []string{"SELECT", "REPLICATION SLAVE", "REPLICATION CLIENT", "CREATE", "DROP"} {
			if !gs.allows(p, "any", "table") || !gs.allows(p, "*", "") {
				t.Errorf("%q does not allow %s", line, p)
			}
		}
	}
}

func TestParseGrantsMySQL8(t *testing.T) {
	gs := parseGrants([]string{
		"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `dts`@`%`",
		"GRANT BACKUP_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `dts`@`%`",
		"GRANT `reporting`@`%`,`etl`@`%` TO `dts`@`%`",
	})
	if !gs.allows("SELECT", "a", "b") || !gs.allows("REPLICATION CLIENT", "*", "") || !gs.allows("BACKUP_ADMIN", "*", "") {
		t.Error("MySQL 8 global grants not recognised")
	}
	if len(gs.roles) != 2 || !strings.Contains(gs.doubt(), "reporting") {
		t.Errorf("roles = %q, doubt = %q; want the two roles", gs.roles, gs.doubt())
	}
}

func TestParseGrantsUnsure(t *testing.T) {
	gs := parseGrants([]string{
		"GRANT SELECT ON *.* TO `u`@`%`",
		"REVOKE SELECT ON `mysql`.* FROM `u`@`%`",
		"GRANT SELECT ON `unterminated TO `u`@`%`",
		"GRANT SELECT ON tbl TO `u`@`%`",
	})
	if len(gs.unsure) != 3 {
		t.Errorf("unsure = %q, want 3 reasons", gs.unsure)
	}
	if gs.doubt() == "" {
		t.Error("doubt() is empty for unsure grants")
	}
	// What is understood still counts.
	if !gs.allows("SELECT", "x", "y") {
		t.Error("the understood global SELECT was lost")
	}
}

func TestLikeMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"shop", "shop", true},
		{"shop", "Shop", true},
		{"shop", "shops", false},
		{"sh%", "shop", true},
		{"sh%", "sh", true},
		{"%", "", true},
		{"s_op", "shop", true},
		{"s_op", "sop", false},
		{`s\_op`, "s_op", true},
		{`s\_op`, "shop", false},
		{`a\%`, "a%", true},
		{`a\%`, "ab", false},
		{"%_x%", "ax", true},
		{"%_x%", "x", false},
	}
	for _, tt := range tests {
		if got := likeMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
