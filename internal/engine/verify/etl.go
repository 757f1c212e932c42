package verify

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// A table with an etl block has rows filtered and columns computed by CEL expressions, which
// SQL on the source cannot reproduce. For such a table the verifier computes the expected
// destination rows itself: it reads the source rows as the full load reads them, applies the
// same compiled filter and set programs, and hashes each row it keeps; it reads the
// destination's rows and hashes them the same way, and compares the two by key. A row's
// hash covers every destination column: a copied column as the full load reads it (on
// either server), a computed one in the form the destination column stores it (see
// storedForm), so a row compares equal exactly when the destination holds what the
// migration writes for it.

// etlTable is how the rows of an ETL table are read and hashed on both servers.
type etlTable struct {
	j        tablemap.Table
	reads    []schema.Column // the source columns read, as the full load reads them
	tableIdx []int           // for each read column, its table column
	copyIdx  []int           // for each copied column, its read column
	forms    []storedForm    // for each computed column, how the destination stores it
}

// newETLTable prepares the comparison of ETL table j. It returns a reason instead when the
// table cannot be compared.
func newETLTable(ctx context.Context, dst *sql.DB, j tablemap.Table) (*etlTable, string, error) {
	if len(j.Source.Key) == 0 {
		return nil, "it has no primary key or NOT NULL unique key: the rows of a table with an etl block are compared by key", nil
	}
	e := &etlTable{j: j, reads: j.Reads()}
	for _, c := range e.reads {
		e.tableIdx = append(e.tableIdx, slices.IndexFunc(j.Source.Columns, func(t schema.Column) bool { return t.Name == c.Name }))
	}
	for _, cm := range j.Columns {
		k := slices.IndexFunc(e.reads, func(c schema.Column) bool { return c.Name == cm.Source.Name })
		if k < 0 {
			return nil, "", fmt.Errorf("verifying %s: column %s is not read", j.Name(), cm.Source.Name)
		}
		e.copyIdx = append(e.copyIdx, k)
	}
	cols, err := destColumns(ctx, dst, j.DestDatabase, j.DestTable)
	if err != nil {
		return nil, "", fmt.Errorf("verifying %s: reading the destination's columns: %w", j.Name(), err)
	}
	for _, cm := range j.Computed {
		info, ok := cols[strings.ToLower(cm.Dest)]
		if !ok {
			return nil, fmt.Sprintf("the destination table %s.%s has no column %s, which the etl block computes", j.DestDatabase, j.DestTable, cm.Dest), nil
		}
		f, reason := formFor(cm.Dest, info)
		if reason != "" {
			return nil, reason, nil
		}
		e.forms = append(e.forms, f)
	}
	return e, "", nil
}

// destColumn is a destination column's type, from information_schema.COLUMNS.
type destColumn struct {
	dataType, columnType string
	scale, precision     sql.NullInt64 // NUMERIC_SCALE, DATETIME_PRECISION
	octets               sql.NullInt64 // CHARACTER_OCTET_LENGTH
}

func destColumns(ctx context.Context, db *sql.DB, database, table string) (map[string]destColumn, error) {
	rows, err := db.QueryContext(ctx, "SELECT COLUMN_NAME, LOWER(DATA_TYPE), COLUMN_TYPE, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_OCTET_LENGTH "+
		"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", database, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]destColumn{}
	for rows.Next() {
		var name string
		var c destColumn
		if err := rows.Scan(&name, &c.dataType, &c.columnType, &c.scale, &c.precision, &c.octets); err != nil {
			return nil, err
		}
		out[strings.ToLower(name)] = c
	}
	return out, rows.Err()
}

// formKind is a family of column types whose stored values have one text form.
type formKind int

const (
	formText     formKind = iota // characters as sent; CHAR drops trailing spaces
	formBytes                    // bytes as sent; BINARY(n) pads with zero bytes
	formInt                      // an integer in decimal
	formBool                     // 1 or 0
	formDecimal                  // a decimal number with the column's scale
	formDouble                   // a double's shortest text
	formFloat                    // a double rounded to float's precision
	formDateTime                 // YYYY-MM-DD HH:MM:SS with the column's fractional digits
	formDate                     // YYYY-MM-DD
	formTime                     // [-]HH:MM:SS with the column's fractional digits
	formEnum                     // the member, as the column spells it
	formSet                      // the members, in the column's order, once each
)

// storedForm is how a destination column stores the values written into it, as a text
// computed the same way from the value the migration writes (canon of the value) and from
// the column's content (canon of readExpr).
type storedForm struct {
	kind    formKind
	name    string
	digits  int // decimal places or fractional second digits
	pad     int // BINARY(n) length; -1 for CHAR, whose trailing spaces are not kept
	members []string
}

// formFor is the stored form of a destination column, or the reason it has none that
// verification computes.
func formFor(name string, c destColumn) (storedForm, string) {
	f := storedForm{name: name}
	switch c.dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year", "bit":
		f.kind = formInt
	case "boolean", "bool":
		f.kind = formBool
	case "decimal", "numeric":
		f.kind, f.digits = formDecimal, int(c.scale.Int64)
	case "double", "real", "double precision":
		f.kind = formDouble
	case "float":
		f.kind = formFloat
	case "datetime", "timestamp":
		f.kind, f.digits = formDateTime, int(c.precision.Int64)
	case "date":
		f.kind = formDate
	case "time":
		f.kind, f.digits = formTime, int(c.precision.Int64)
	case "char":
		f.kind, f.pad = formText, -1
	case "varchar", "tinytext", "text", "mediumtext", "longtext", "string":
		f.kind = formText
	case "binary":
		f.kind, f.pad = formBytes, int(c.octets.Int64)
	case "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		f.kind = formBytes
	case "enum", "set":
		f.kind, f.members = formEnum, schema.ParseMembers(c.columnType)
		if c.dataType == "set" {
			f.kind = formSet
		}
	default:
		return f, fmt.Sprintf("its computed column %s is %s on the destination, which normalizes what it stores in a way verification does not reproduce: "+
			"compute a column of another type, or check this table with SQL of your own", name, c.columnType)
	}
	return f, ""
}

// readExpr reads the column on the destination.
func (f storedForm) readExpr() string {
	q := dialect.QuoteIdent(f.name)
	switch f.kind {
	case formFloat:
		return tablemap.FloatAsDouble(q)
	case formInt, formBool:
		return "(" + q + " + 0)" // BIT as its number
	}
	return q
}

// valueText is a value the migration writes (etl.Program.Value) as text; nil for NULL.
func valueText(v any) []byte {
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		return strconv.AppendInt([]byte{}, x, 10)
	case uint64:
		return strconv.AppendUint([]byte{}, x, 10)
	case string:
		return []byte(x)
	case []byte:
		if x == nil {
			return []byte{}
		}
		return x
	}
	return fmt.Append(nil, v)
}

// canon is the text the column stores for value b (nil for NULL). A value the form cannot
// read is its own text: it then differs from any stored value it does not spell exactly.
func (f storedForm) canon(b []byte) []byte {
	if b == nil {
		return nil
	}
	switch f.kind {
	case formText:
		if f.pad < 0 {
			return bytes.TrimRight(b, " ")
		}
	case formBytes:
		if f.pad > len(b) {
			return append(slices.Clone(b), make([]byte, f.pad-len(b))...)
		}
	case formInt, formBool:
		s := strings.TrimSpace(string(b))
		if f.kind == formBool {
			switch strings.ToLower(s) {
			case "true":
				return []byte("1")
			case "false":
				return []byte("0")
			}
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.AppendInt(nil, n, 10)
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return strconv.AppendUint(nil, n, 10)
		}
		if d, err := decimal.NewFromString(s); err == nil && d.IsInteger() {
			return []byte(d.String())
		}
	case formDecimal:
		if d, err := decimal.NewFromString(strings.TrimSpace(string(b))); err == nil {
			return []byte(d.StringFixed(int32(f.digits)))
		}
	case formDouble, formFloat:
		x, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err == nil {
			if f.kind == formFloat {
				x = float64(float32(x))
			}
			return strconv.AppendFloat(nil, x, 'g', -1, 64)
		}
	case formDateTime, formDate:
		if t, ok := dateTimeText(b, f.kind == formDateTime, f.digits); ok {
			return t
		}
	case formTime:
		if t, ok := timeText(b, f.digits); ok {
			return t
		}
	case formEnum:
		if i := f.member(string(b)); i >= 0 {
			return []byte(f.members[i])
		}
	case formSet:
		if len(b) == 0 {
			return b
		}
		var idx []int
		for _, m := range strings.Split(string(b), ",") {
			i := f.member(m)
			if i < 0 {
				return b
			}
			idx = append(idx, i)
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		names := make([]string, len(idx))
		for k, i := range idx {
			names[k] = f.members[i]
		}
		return []byte(strings.Join(names, ","))
	}
	return b
}

// member is the index of the member m names, exactly or else ignoring case; -1 for none.
func (f storedForm) member(m string) int {
	if i := slices.Index(f.members, m); i >= 0 {
		return i
	}
	return slices.IndexFunc(f.members, func(x string) bool { return strings.EqualFold(x, m) })
}

// numbers splits a date or time text into its runs of digits; frac is the run after a
// '.' that follows at least minBefore runs, or "".
func numbers(b []byte, minBefore int) (runs []string, frac string) {
	for i := 0; i < len(b); {
		if b[i] < '0' || b[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if i > 0 && b[i-1] == '.' && len(runs) >= minBefore {
			frac = string(b[i:j])
		} else {
			runs = append(runs, string(b[i:j]))
		}
		i = j
	}
	return runs, frac
}

// fraction is frac cut or padded to digits places, with its dot; "" for none.
func fraction(frac string, digits int) string {
	if digits <= 0 {
		return ""
	}
	if len(frac) > digits {
		frac = frac[:digits]
	}
	return "." + frac + strings.Repeat("0", digits-len(frac))
}

// dateTimeText is a DATE or DATETIME value's stored text.
func dateTimeText(b []byte, withTime bool, digits int) ([]byte, bool) {
	runs, frac := numbers(b, 6)
	if len(runs) != 3 && len(runs) != 6 {
		return nil, false
	}
	n := make([]int, 6)
	for i, r := range runs {
		v, err := strconv.Atoi(r)
		if err != nil {
			return nil, false
		}
		n[i] = v
	}
	s := fmt.Sprintf("%04d-%02d-%02d", n[0], n[1], n[2])
	if withTime {
		s += fmt.Sprintf(" %02d:%02d:%02d", n[3], n[4], n[5]) + fraction(frac, digits)
	}
	return []byte(s), true
}

// timeText is a TIME value's stored text.
func timeText(b []byte, digits int) ([]byte, bool) {
	t := strings.TrimSpace(string(b))
	sign := ""
	if strings.HasPrefix(t, "-") {
		sign, t = "-", t[1:]
	}
	runs, frac := numbers([]byte(t), 3)
	if len(runs) != 3 {
		return nil, false
	}
	n := make([]int, 3)
	for i, r := range runs {
		v, err := strconv.Atoi(r)
		if err != nil {
			return nil, false
		}
		n[i] = v
	}
	fr := fraction(frac, digits)
	if n[0] == 0 && n[1] == 0 && n[2] == 0 && strings.Trim(fr, ".0") == "" {
		sign = ""
	}
	return []byte(fmt.Sprintf("%s%02d:%02d:%02d", sign, n[0], n[1], n[2]) + fr), true
}

// rowHasher hashes a row's columns: each value with its length, NULL as a marker no value
// has. The hash is 128 bits of maphash under two seeds fixed for the process: both sides
// of a comparison are hashed in the same process, and it costs a fraction of MD5.
type rowHasher struct{ buf []byte }

var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func (h *rowHasher) reset() { h.buf = h.buf[:0] }

func (h *rowHasher) add(v []byte) {
	if v == nil {
		h.buf = append(h.buf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		return
	}
	h.buf = binary.BigEndian.AppendUint64(h.buf, uint64(len(v)))
	h.buf = append(h.buf, v...)
}

func (h *rowHasher) sum() string {
	var s [16]byte
	binary.LittleEndian.PutUint64(s[:8], maphash.Bytes(hashSeeds[0], h.buf))
	binary.LittleEndian.PutUint64(s[8:], maphash.Bytes(hashSeeds[1], h.buf))
	return string(s[:])
}

// expected reads the source rows pred selects and returns, by key, the hash of each row the
// etl block keeps, computed as the migration would write it.
func (e *etlTable) expected(ctx context.Context, s side, keyCols []schema.Column, pred string, args []any) (map[string]keyedRow, error) {
	exprs := quotedKey(s.key)
	for _, c := range e.reads {
		exprs = append(exprs, tablemap.SelectExpr(c))
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+s.table+tablemap.Where(pred), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	nk := len(s.key)
	raw, dest := scanTargets(len(exprs))
	values := make([]any, len(e.j.Source.Columns))
	row := e.j.ETL.NewRow()
	var h rowHasher
	out := make(map[string]keyedRow, 1024) // a chunk's rows, usually
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for k, v := range raw[nk:] {
			if v == nil {
				values[e.tableIdx[k]] = nil
			} else {
				values[e.tableIdx[k]] = []byte(v)
			}
		}
		row.Reset(values)
		keep, err := e.j.ETL.Keep(row)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		h.reset()
		for i, k := range e.copyIdx {
			h.add(tablemap.CopiedValue(e.reads[k], e.j.Columns[i].Source, raw[nk+k]))
		}
		for i, f := range e.forms {
			v, err := e.j.ETL.Value(row, i)
			if err != nil {
				return nil, err
			}
			h.add(f.canon(valueText(v)))
		}
		id, kr := keyOf(keyCols, raw[:nk])
		kr.hash = h.sum()
		out[id] = kr
	}
	return out, rows.Err()
}

// stored reads the destination rows pred selects and returns their hashes by key.
func (e *etlTable) stored(ctx context.Context, s side, keyCols []schema.Column, pred string, args []any) (map[string]keyedRow, error) {
	exprs := quotedKey(s.key)
	for _, cm := range e.j.Columns {
		exprs = append(exprs, tablemap.SelectAs(cm.Source, cm.Dest))
	}
	for _, f := range e.forms {
		exprs = append(exprs, f.readExpr())
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+s.table+tablemap.Where(pred), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	nk, nc := len(s.key), len(e.j.Columns)
	raw, dest := scanTargets(len(exprs))
	var h rowHasher
	out := make(map[string]keyedRow, 1024) // a chunk's rows, usually
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		h.reset()
		for _, v := range raw[nk : nk+nc] {
			h.add(v)
		}
		for i, f := range e.forms {
			h.add(f.canon(raw[nk+nc+i]))
		}
		id, kr := keyOf(keyCols, raw[:nk])
		kr.hash = h.sum()
		out[id] = kr
	}
	return out, rows.Err()
}

func quotedKey(key []string) []string {
	out := make([]string, len(key))
	for i, k := range key {
		out[i] = dialect.QuoteIdent(k)
	}
	return out
}

func scanTargets(n int) ([]sql.RawBytes, []any) {
	raw := make([]sql.RawBytes, n)
	dest := make([]any, n)
	for i := range raw {
		dest[i] = &raw[i]
	}
	return raw, dest
}
