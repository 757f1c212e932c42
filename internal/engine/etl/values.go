package etl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/shopspring/decimal"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// celType is the CEL type of a column's values:
//
//   - signed integers and YEAR: int; unsigned integers and BIT: uint;
//   - FLOAT and DOUBLE: double; DECIMAL: decimal (exact, see DecimalType);
//   - character types, JSON, ENUM (its member), SET (its members joined by commas), and
//     DATE, TIME, DATETIME and TIMESTAMP in MySQL's text form ("2024-05-01 12:00:00.5"),
//     which keeps zero dates and compares in time order: string;
//   - binary strings, BLOBs and spatial types: bytes.
//
// A nullable column's type also takes null.
func celType(c schema.Column) *cel.Type {
	var t *cel.Type
	switch {
	case c.DataType == "year":
		t = cel.IntType
	case c.DataType == "bit":
		t = cel.UintType
	case c.Integer() && c.Unsigned:
		t = cel.UintType
	case c.Integer():
		t = cel.IntType
	case c.DataType == "float" || c.DataType == "double":
		t = cel.DoubleType
	case c.DataType == "decimal":
		t = DecimalType
	case c.Binary():
		t = cel.BytesType
	default:
		t = cel.StringType
	}
	if c.Nullable {
		return cel.NullableType(t)
	}
	return t
}

// toCEL converts a column value to CEL. v is either the text protocol's bytes (a full
// load reads integers, ENUM and SET as numbers, FLOAT as DOUBLE, BIT as its bytes) or a
// binlog value as incremental migration passes it (int64, uint64, string or []byte); both
// give the same CEL value for the same source value.
func toCEL(c schema.Column, v any) (ref.Val, error) {
	if v == nil {
		return types.NullValue, nil
	}
	switch c.DataType {
	case "enum", "set":
		n, err := unsigned(v)
		if err != nil {
			return nil, err
		}
		return types.String(schema.MemberText(c, n)), nil
	case "year":
		n, err := unsigned(v)
		return types.Int(int64(n)), err
	case "bit":
		if b, ok := v.([]byte); ok {
			var n uint64
			for _, x := range b {
				n = n<<8 | uint64(x)
			}
			return types.Uint(n), nil
		}
		n, err := unsigned(v)
		return types.Uint(n), err
	case "float", "double":
		f, err := strconv.ParseFloat(text(v), 64)
		return types.Double(f), err
	case "decimal":
		d, err := decimal.NewFromString(text(v))
		return Decimal{d}, err
	}
	switch {
	case c.Integer() && c.Unsigned:
		n, err := unsigned(v)
		return types.Uint(n), err
	case c.Integer():
		switch x := v.(type) {
		case int64:
			return types.Int(x), nil
		case uint64:
			if x > math.MaxInt64 {
				return nil, fmt.Errorf("%d is out of range for a signed column", x)
			}
			return types.Int(int64(x)), nil
		}
		n, err := strconv.ParseInt(text(v), 10, 64)
		return types.Int(n), err
	case c.Binary():
		if b, ok := v.([]byte); ok {
			return types.Bytes(b), nil
		}
		return types.Bytes(text(v)), nil
	}
	return types.String(text(v)), nil
}

func text(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func unsigned(v any) (uint64, error) {
	switch x := v.(type) {
	case uint64:
		return x, nil
	case int64:
		return uint64(x), nil
	}
	return strconv.ParseUint(text(v), 10, 64)
}

// sqlValue converts an expression's result into a statement argument: nil, int64, uint64,
// string or []byte. A bool is 1 or 0, a double its shortest exact text, a decimal its exact
// text, a timestamp its UTC DATETIME text with microseconds, a duration its TIME text.
func sqlValue(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		return uint64(x), nil
	case types.Bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("the result %v is not a number a column can hold", f)
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case Decimal:
		return x.String(), nil
	case types.String:
		return string(x), nil
	case types.Bytes:
		return []byte(x), nil
	case types.Timestamp:
		return x.UTC().Format("2006-01-02 15:04:05.999999"), nil
	case types.Duration:
		return timeText(x.Duration), nil
	}
	return nil, fmt.Errorf("the result is a %s, which no column holds: give a number, string, bytes, bool, decimal, timestamp, duration or null", v.Type().TypeName())
}

// timeText formats d as a TIME value: [-]H:MM:SS.ffffff.
func timeText(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	us := d.Microseconds()
	s := fmt.Sprintf("%s%d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
	if f := us % 1_000_000; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", f), "0")
	}
	return s
}

// Column kinds of results, by which the destination's dialect declares a new column.
const (
	KindInt       = "int"
	KindUint      = "uint"
	KindDouble    = "double"
	KindBool      = "bool"
	KindDecimal   = "decimal"
	KindString    = "string"
	KindBytes     = "bytes"
	KindTimestamp = "timestamp"
	KindDuration  = "duration"
)

// resultKind is the column kind of an expression's result type; "" when the type says too
// little (dyn, null) or is not a column value (list, map).
func resultKind(t *cel.Type) string {
	if t == nil {
		return ""
	}
	switch {
	case t.IsExactType(DecimalType) || t.TypeName() == DecimalType.TypeName():
		return KindDecimal
	}
	switch t.Kind() {
	case types.IntKind:
		return KindInt
	case types.UintKind:
		return KindUint
	case types.DoubleKind:
		return KindDouble
	case types.BoolKind:
		return KindBool
	case types.StringKind:
		return KindString
	case types.BytesKind:
		return KindBytes
	case types.TimestampKind:
		return KindTimestamp
	case types.DurationKind:
		return KindDuration
	}
	return ""
}

// latin1High maps bytes 0x80..0x9F of MySQL's latin1, which is Windows-1252 except that
// its five undefined bytes stand for the C1 controls of the same number.
var latin1High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// Decode returns a character column's value, in the column's character set as the binlog
// carries it, as a UTF-8 string: what a full load reads through its utf8mb4 session.
func Decode(c schema.Column, b []byte) (string, error) {
	switch c.Charset {
	case "", "utf8mb4", "utf8", "utf8mb3", "ascii", "binary":
		return string(b), nil
	case "latin1":
		r := make([]rune, len(b))
		for i, x := range b {
			switch {
			case x >= 0x80 && x <= 0x9F:
				r[i] = latin1High[x-0x80]
			default:
				r[i] = rune(x)
			}
		}
		return string(r), nil
	}
	return "", fmt.Errorf("column %s has character set %s, which etl expressions read only in utf8mb4, utf8, ascii and latin1: leave it out of the expressions, or convert the column", c.Name, c.Charset)
}
