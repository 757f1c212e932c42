package taskexpr

import (
	"slices"
	"strings"
	"testing"
)

func TestParseWhereAccepts(t *testing.T) {
	tests := []struct {
		where string
		cols  []string
	}{
		{"id > 10", []string{"id"}},
		{"status = 'active' AND created_at >= '2024-01-01'", []string{"status", "created_at"}},
		{"a = 1 AND A = 2 OR b IS NULL", []string{"a", "b"}},
		{"`order` = 1 AND `we``ird` = 2", []string{"order", "we`ird"}},
		{`name LIKE 'a\_b%'`, []string{"name"}},
		{`name = 'a\\'`, []string{"name"}},
		{"s = 'it''s'", []string{"s"}},
		{"s = 'a;b -- c /* d */ # e'", []string{"s"}},
		{`s = "x'y"`, []string{"s"}},
		{"x IN (1, 2, 3) AND y NOT IN ('a')", []string{"x", "y"}},
		{"d BETWEEN 1 AND 2", []string{"d"}},
		{"(a = 1 OR b = 2) AND c <> 3", []string{"a", "b", "c"}},
		{"DATE(created) = '2024-01-01'", []string{"created"}},
		{"created > NOW() - INTERVAL 30 DAY", []string{"created"}},
		{"created > DATE_SUB(CURRENT_TIMESTAMP, INTERVAL 1 HOUR)", []string{"created"}},
		{"ts >= TIMESTAMP '2024-01-01 00:00:00' AND d < DATE '2025-01-01'", []string{"ts", "d"}},
		{"a = _utf8mb4'x' COLLATE utf8mb4_bin", []string{"a"}},
		{"b = X'0A' OR b = 0x0B OR b = b'1'", []string{"b"}},
		{"CASE WHEN a > 1 THEN 1 ELSE 0 END = 1", []string{"a"}},
		{"JSON_EXTRACT(doc, '$.a') = 1 AND doc->>'$.b' = 'x'", []string{"doc"}},
		{"NOT deleted", []string{"deleted"}},
		{"deleted IS NOT TRUE", []string{"deleted"}},
		{"active", []string{"active"}},
		{"CAST(price AS DECIMAL(10,2)) > 9.99", []string{"price"}},
		{"LOWER(TRIM(LEADING 'x' FROM name)) = 'a'", []string{"name"}},
		{"EXTRACT(YEAR FROM d) = 2024", []string{"d"}},
		{"SUBSTRING(name FROM 1 FOR 2) = 'ab' AND LENGTH(name) < 10", []string{"name"}},
		{"COALESCE(a, b, 0) > IFNULL(c, 1)", []string{"a", "b", "c"}},
		{"a <=> NULL", []string{"a"}},
		{"(a, b) > (1, 2)", []string{"a", "b"}},
		{"name REGEXP '^a' AND id % 2 = 0 AND id DIV 2 > 1", []string{"name", "id"}},
		{"CONVERT(name USING utf8mb4) = 'x'", []string{"name"}},
		{"a - -1 > 0", []string{"a"}},
		{"1 = 1", nil},
		{"\n\tid > 1\n", []string{"id"}},
		{"", nil},
		{"   ", nil},
	}
	for _, tt := range tests {
		cols, err := ParseWhere(tt.where)
		if err != nil {
			t.Errorf("ParseWhere(%q): %v", tt.where, err)
			continue
		}
		if !slices.Equal(cols, tt.cols) {
			t.Errorf("ParseWhere(%q) columns = %q, want %q", tt.where, cols, tt.cols)
		}
	}
}

func TestParseWhereRejects(t *testing.T) {
	tests := []struct {
		where string
		want  string // part of the error
	}{
		// Several statements.
		{"1=1; DROP TABLE x", "';'"},
		{"1=1;", "';'"},
		{"id = 1; SELECT SLEEP(10)", "';'"},
		// Set operations and trailing clauses.
		{"1=1 UNION SELECT password FROM mysql.user", "UNION"},
		{"1=1 UNION ALL SELECT 1", "UNION"},
		{"1=1 ORDER BY id", "ORDER BY"},
		{"1=1 LIMIT 1", "LIMIT"},
		{"1=1 GROUP BY id", "GROUP BY"},
		{"1=1 HAVING 1", "HAVING"},
		{"1=1 FOR UPDATE", "locking"},
		{"1=1 LOCK IN SHARE MODE", "locking"},
		{"1=1 INTO OUTFILE '/tmp/x'", ""},
		{"a = 1 WHERE b = 2", "not a valid condition"},
		// Subqueries.
		{"id IN (SELECT id FROM other)", "subquery"},
		{"EXISTS (SELECT 1 FROM mysql.user)", "subquery"},
		{"(SELECT 1) = 1", "subquery"},
		{"a = ANY (SELECT b FROM u)", "subquery"},
		{"a = (SELECT MAX(b) FROM u)", "subquery"},
		// Comments and comment tricks.
		{"1=1 -- comment", "comments"},
		{"1=1 --", "comments"},
		{"1=1 # comment", "comments"},
		{"1=1 /* comment */", "comments"},
		{"1=1 /*!50000 UNION SELECT 1 */", "comments"},
		{"1=1 /*M! UNION SELECT 1 */", "comments"},
		{"1=1 /*+ MAX_EXECUTION_TIME(1) */", "comments"},
		{"1=1 */", "not a valid condition"},
		// Quoting tricks.
		{`a = '\' OR 1=1 -- '`, "backslash"},
		{`a = "\" OR 1=1 -- "`, "backslash"},
		{`a = '\\\'' OR 1=1`, "backslash"},
		{"a = 'unterminated", "unterminated"},
		{"`a = 1", "unterminated"},
		// Parentheses that break out of (filter).
		{"a = 1) OR (1 = 1", "')' without"},
		{"(a = 1", "'(' without"},
		{"a = 1) UNION (SELECT 1", "')' without"},
		// Dangerous or non-deterministic functions.
		{"SLEEP(10) = 0", "SLEEP"},
		{"BENCHMARK(1000000, MD5('a')) = 0", "BENCHMARK"},
		{"LOAD_FILE('/etc/passwd') IS NOT NULL", "LOAD_FILE"},
		{"GET_LOCK('x', 10) = 1", "GET_LOCK"},
		{"RAND() < 0.5", "RAND"},
		{"UUID() = a", "UUID"},
		{"mydb.myfunc(a) = 1", "stored function"},
		{"my_udf(a) = 1", "my_udf"},
		{"NEXTVAL(seq) > 1", ""},
		// Variables and placeholders.
		{"@a := 1", "variables"},
		{"a = @x", "variables"},
		{"@@version LIKE '10%'", "variables"},
		{"a = ?", "placeholders"},
		// Aggregates and windows.
		{"COUNT(*) > 1", "aggregate"},
		{"SUM(a) > 1", "aggregate"},
		// Qualified names.
		{"t.a = 1", "without a table"},
		{"db.t.a = 1", "without a table"},
		// Not a condition at all.
		{"a =", "not a valid condition"},
		{"DROP TABLE x", "not a valid condition"},
		{"1=1\x00", "NUL"},
	}
	for _, tt := range tests {
		cols, err := ParseWhere(tt.where)
		if err == nil {
			t.Errorf("ParseWhere(%q) = %q, nil; want an error", tt.where, cols)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseWhere(%q) error %q does not mention %q", tt.where, err, tt.want)
		}
	}
}
