package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// Definition is a table definition split into the parts a dialect renders separately.
// Names are source names; the engine maps them to destination names.
type Definition struct {
	Columns []ColumnDef // in order
	// PrimaryKey holds the column names of the primary key, empty if none. A part's prefix
	// length or direction ((10), DESC) is not kept.
	PrimaryKey []string
	// Indexes holds every other index and constraint line except foreign keys, in order.
	Indexes []IndexDef
	// ForeignKeys holds the raw lines of FOREIGN KEY constraints: they are reported, never
	// migrated.
	ForeignKeys []string
	// Options is the raw text after the closing parenthesis of the column list, e.g.
	// "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci".
	Options string

	// The AnalyticDB layout read from Options (an adb_mysql3 source's DISTRIBUTED BY,
	// PARTITION BY VALUE and LIFECYCLE); zero values when Options have none. The engine
	// uses them, renamed, as the defaults of an adb_mysql3 destination's table fields.

	TableType          string   // "fact" for DISTRIBUTED BY HASH, "dimension" for BROADCAST
	DistributionKey    []string // the HASH columns
	PartitionKey       string   // the column partitioned on
	PartitionRule      string   // "value", "day", "month" or "year", as dialect.Table names them
	PartitionLifecycle int      // LIFECYCLE n
}

// ColumnDef is one column line.
type ColumnDef struct {
	Name string
	// Definition is the raw text after the quoted name, e.g. "int(11) NOT NULL
	// AUTO_INCREMENT" or "varchar(100) GENERATED ALWAYS AS (upper(`name`)) VIRTUAL".
	Definition string
}

// IndexDef is one index or constraint line other than the primary key and foreign keys.
type IndexDef struct {
	// Kind is "KEY" (KEY or INDEX), "UNIQUE", "FULLTEXT", "SPATIAL", "CLUSTERED"
	// (AnalyticDB's CLUSTERED KEY) or "CHECK".
	Kind string
	// Name is the index or constraint name; "" when the line has none.
	Name string
	// Columns holds the column of each key part, in order; nil for CHECK and for an index
	// with an expression part (MySQL's functional key parts), whose Raw is then the only
	// description.
	Columns []string
	// Raw is the line as written, without the trailing comma. Dialects render the index
	// from Kind, Name and Columns (renamed), taking prefix lengths, directions and index
	// options from Raw.
	Raw string
}

// Column returns the column with the given name; like MySQL, it matches names
// case-insensitively when no name matches exactly.
func (d *Definition) Column(name string) (ColumnDef, bool) {
	for _, c := range d.Columns {
		if c.Name == name {
			return c, true
		}
	}
	for _, c := range d.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return ColumnDef{}, false
}

const identPattern = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"

var (
	createTableHead = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?` +
		identPattern + `(?:\s*\.\s*` + identPattern + `)?\s*\(`)
	keyPartSuffix     = regexp.MustCompile(`(?i)^\s*(?:\(\s*\d+\s*\))?\s*(?:ASC|DESC)?\s*$`)
	datePartitionExpr = regexp.MustCompile(`(?is)^DATE_FORMAT\s*\(\s*(` + identPattern + `)\s*,\s*(?:'([^']*)'|"([^"]*)")\s*\)$`)
	bareIdent         = regexp.MustCompile(`^[A-Za-z0-9_$]+$`)
)

// ParseCreateTable parses the output of SHOW CREATE TABLE on MySQL, MariaDB or AnalyticDB
// for MySQL 3.0. It fails, naming the line, on any line it does not recognise: nothing is
// dropped silently.
//
// It is the one reading of a table definition, for both roads to a destination table
// (schema.DestinationTable): the schema phase gives it SHOW CREATE TABLE, and a CREATE
// TABLE followed in the binlog reaches it restored in the same form (cdc's
// canonicalCreate). It is a lexer over canonical text, not a SQL parser, because the text
// is canonical: one element a line, names quoted, keys named and apart from the columns,
// and a column's definition is kept as the server printed it, which is what the
// destination must be given, byte for byte (a parser's restore rewrites literals, drops an
// ENUM's character set, adds ENFORCED). And it is the only reader of AnalyticDB's SHOW
// CREATE TABLE (DISTRIBUTED BY, LIFECYCLE, CLUSTERED KEY), which TiDB's parser refuses.
// DDL from the binlog is user-written and needs a real parser: TiDB's parser reads it, in
// package cdc, only to restore it in this canonical form.
func ParseCreateTable(createSQL string) (*Definition, error) {
	head := createTableHead.FindString(createSQL)
	if head == "" {
		return nil, fmt.Errorf("not a CREATE TABLE statement: %s", excerpt(createSQL))
	}
	open := len(head) - 1
	end := sqltext.MatchParen(createSQL, open)
	if end < 0 {
		return nil, fmt.Errorf("CREATE TABLE has no closing parenthesis for its column list (an unterminated string or identifier?): %s", excerpt(createSQL))
	}
	d := &Definition{Options: strings.TrimSpace(createSQL[end+1:])}
	for _, line := range sqltext.SplitTopLevel(createSQL[open+1 : end]) {
		if err := d.addLine(line); err != nil {
			return nil, err
		}
	}
	if len(d.Columns) == 0 {
		return nil, fmt.Errorf("CREATE TABLE has no columns: %s", excerpt(createSQL))
	}
	if err := d.readLayout(); err != nil {
		return nil, err
	}
	return d, nil
}

// addLine classifies one element of the column list.
func (d *Definition) addLine(line string) error {
	if line == "" {
		return fmt.Errorf("empty line in the column list of CREATE TABLE (a stray comma?)")
	}
	if line[0] == '`' {
		name, e, ok := sqltext.QuotedIdent(line, 0)
		if !ok {
			return fmt.Errorf("unterminated column name in line %s", excerpt(line))
		}
		def := strings.TrimSpace(line[e:])
		if def == "" {
			return fmt.Errorf("column without a type in line %s", excerpt(line))
		}
		d.Columns = append(d.Columns, ColumnDef{Name: name, Definition: def})
		return nil
	}

	c := &cursor{s: line}
	first := c.word()
	constraint := ""
	if first == "CONSTRAINT" {
		// CONSTRAINT [name] {CHECK | FOREIGN KEY | PRIMARY KEY | UNIQUE}
		save := c.i
		switch first = c.word(); first {
		case "CHECK", "FOREIGN", "PRIMARY", "UNIQUE":
		default:
			c.i = save
			name, ok := c.ident()
			if !ok {
				return fmt.Errorf("unsupported line in CREATE TABLE: %s", excerpt(line))
			}
			constraint = name
			first = c.word()
		}
	}
	switch first {
	case "FOREIGN":
		d.ForeignKeys = append(d.ForeignKeys, line)
		return nil
	case "CHECK":
		d.Indexes = append(d.Indexes, IndexDef{Kind: "CHECK", Name: constraint, Raw: line})
		return nil
	case "PRIMARY":
		if c.word() != "KEY" {
			return fmt.Errorf("unsupported line in CREATE TABLE: %s", excerpt(line))
		}
		if d.PrimaryKey != nil {
			return fmt.Errorf("a second PRIMARY KEY in line %s", excerpt(line))
		}
		_, cols, err := c.keyParts(line)
		if err != nil {
			return err
		}
		if cols == nil {
			return fmt.Errorf("a primary key on an expression is not supported, in line %s", excerpt(line))
		}
		d.PrimaryKey = cols
		return nil
	}
	kind := map[string]string{
		"KEY": "KEY", "INDEX": "KEY", "UNIQUE": "UNIQUE", "FULLTEXT": "FULLTEXT",
		"SPATIAL": "SPATIAL", "CLUSTERED": "CLUSTERED",
	}[first]
	if kind == "" || constraint != "" && kind != "UNIQUE" {
		return fmt.Errorf("unsupported line in CREATE TABLE: %s", excerpt(line))
	}
	if kind != "KEY" {
		c.atKeyword("KEY", "INDEX") // UNIQUE KEY, FULLTEXT INDEX, CLUSTERED KEY, ...
	}
	name, cols, err := c.keyParts(line)
	if err != nil {
		return err
	}
	if name == "" {
		name = constraint
	}
	d.Indexes = append(d.Indexes, IndexDef{Kind: kind, Name: name, Columns: cols, Raw: line})
	return nil
}

// readLayout reads the AnalyticDB distribution, partition and lifecycle from Options.
func (d *Definition) readLayout() error {
	opts, err := dialect.SplitOptions(d.Options)
	if err != nil {
		return fmt.Errorf("reading the table options %s: %w", excerpt(d.Options), err)
	}
	for _, o := range opts {
		switch o.Name {
		case "DISTRIBUTED BY", "DISTRIBUTE BY":
			if strings.EqualFold(o.Value, "BROADCAST") {
				d.TableType = dialect.TableTypeDimension
				continue
			}
			// HASH(...)
			cols, err := identList(o.Value[strings.IndexByte(o.Value, '(')+1 : len(o.Value)-1])
			if err != nil || len(cols) == 0 {
				return fmt.Errorf("unsupported distribution clause %s", excerpt(o.Raw))
			}
			d.TableType, d.DistributionKey = dialect.TableTypeFact, cols
		case "PARTITION BY":
			v := o.Value
			if len(v) < 6 || !strings.EqualFold(v[:5], "VALUE") {
				continue // MySQL or MariaDB partitioning: Options keep it as text
			}
			inner := strings.TrimSpace(v[strings.IndexByte(v, '(')+1 : len(v)-1])
			if key, ok := identOf(inner); ok {
				d.PartitionKey, d.PartitionRule = key, dialect.PartitionValue
				continue
			}
			m := datePartitionExpr.FindStringSubmatch(inner)
			if m == nil {
				return fmt.Errorf("unsupported partition expression %s: only VALUE(col) and VALUE(DATE_FORMAT(col, '%%Y%%m%%d'|'%%Y%%m'|'%%Y')) can be migrated", excerpt(o.Raw))
			}
			rule := map[string]string{"%Y%m%d": dialect.PartitionDay, "%Y%m": dialect.PartitionMonth, "%Y": dialect.PartitionYear}[m[2]+m[3]]
			if rule == "" {
				return fmt.Errorf("unsupported partition format in %s: only '%%Y%%m%%d', '%%Y%%m' and '%%Y' can be migrated", excerpt(o.Raw))
			}
			d.PartitionKey, _ = identOf(m[1])
			d.PartitionRule = rule
		case "LIFECYCLE":
			n, err := strconv.Atoi(o.Value)
			if err != nil || n < 1 {
				return fmt.Errorf("unsupported lifecycle %s", excerpt(o.Raw))
			}
			d.PartitionLifecycle = n
		}
	}
	return nil
}

// cursor reads the words of an index line from left to right.
type cursor struct {
	s string
	i int
}

func (c *cursor) space() {
	for c.i < len(c.s) && (c.s[c.i] == ' ' || c.s[c.i] == '\t' || c.s[c.i] == '\n' || c.s[c.i] == '\r') {
		c.i++
	}
}

// word reads a bare word and returns it in upper case, or "" if there is none.
func (c *cursor) word() string {
	c.space()
	j := c.i
	for j < len(c.s) && sqltext.IsWordByte(c.s[j]) {
		j++
	}
	w := strings.ToUpper(c.s[c.i:j])
	c.i = j
	return w
}

// atKeyword consumes the next word if it is one of words.
func (c *cursor) atKeyword(words ...string) bool {
	save := c.i
	w := c.word()
	for _, k := range words {
		if w == k {
			return true
		}
	}
	c.i = save
	return false
}

// ident reads a backtick-quoted or bare identifier.
func (c *cursor) ident() (string, bool) {
	c.space()
	if c.i < len(c.s) && c.s[c.i] == '`' {
		name, e, ok := sqltext.QuotedIdent(c.s, c.i)
		if !ok {
			return "", false
		}
		c.i = e
		return name, true
	}
	save := c.i
	if w := c.word(); w != "" {
		return c.s[save:c.i], true
	}
	return "", false
}

// keyParts reads "[name] [USING type] (part, ...)" and returns the name and the column of
// each part; cols is nil when a part is an expression.
func (c *cursor) keyParts(line string) (name string, cols []string, err error) {
	c.space()
	if c.i < len(c.s) && c.s[c.i] != '(' && !c.atKeyword("USING") {
		var ok bool
		if name, ok = c.ident(); !ok {
			return "", nil, fmt.Errorf("unsupported index line in CREATE TABLE: %s", excerpt(line))
		}
		if c.atKeyword("USING") {
			c.word() // KEY name USING BTREE (...)
		}
	} else if c.i < len(c.s) && c.s[c.i] != '(' {
		c.word() // KEY USING BTREE (...)
	}
	c.space()
	if c.i >= len(c.s) || c.s[c.i] != '(' {
		return "", nil, fmt.Errorf("index without a column list in line %s", excerpt(line))
	}
	end := sqltext.MatchParen(c.s, c.i)
	if end < 0 {
		return "", nil, fmt.Errorf("unbalanced parentheses in line %s", excerpt(line))
	}
	parts := sqltext.SplitTopLevel(c.s[c.i+1 : end])
	c.i = end + 1
	for _, p := range parts {
		if strings.HasPrefix(p, "(") {
			return name, nil, nil // an expression part
		}
		pc := &cursor{s: p}
		col, ok := pc.ident()
		if !ok || !keyPartSuffix.MatchString(p[pc.i:]) {
			return "", nil, fmt.Errorf("unsupported key part %q in line %s", p, excerpt(line))
		}
		cols = append(cols, col)
	}
	if len(cols) == 0 {
		return "", nil, fmt.Errorf("index without columns in line %s", excerpt(line))
	}
	return name, cols, nil
}

// identList parses a comma-separated list of identifiers.
func identList(s string) ([]string, error) {
	var out []string
	for _, p := range sqltext.SplitTopLevel(s) {
		id, ok := identOf(p)
		if !ok {
			return nil, fmt.Errorf("%q is not a column name", p)
		}
		out = append(out, id)
	}
	return out, nil
}

// identOf returns the name s quotes or is, if s is exactly one identifier.
func identOf(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "`") {
		if name, e, ok := sqltext.QuotedIdent(s, 0); ok && e == len(s) {
			return name, true
		}
		return "", false
	}
	return s, bareIdent.MatchString(s)
}

// excerpt quotes a line for an error message, shortened if long.
func excerpt(s string) string {
	const max = 200
	s = strings.TrimSpace(s)
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
