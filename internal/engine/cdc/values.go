package cdc

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/shopspring/decimal"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// argValue turns a value decoded from a row event into a statement argument that writes the
// same value the source holds. go-mysql decodes integers as signed Go types whatever the
// column's signedness (the binlog does not say, without binlog_row_metadata=FULL), so the
// column definition from our schema history restores unsigned values; strings and blobs are
// bytes in the column's character set and travel as binary strings, which the server stores
// without conversion.
func argValue(c schema.Column, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int8:
		if c.Unsigned {
			return uint64(uint8(x)), nil
		}
		return int64(x), nil
	case int16:
		if c.Unsigned {
			return uint64(uint16(x)), nil
		}
		return int64(x), nil
	case int32:
		if c.Unsigned {
			if c.DataType == "mediumint" {
				return uint64(uint32(x) & 0xFFFFFF), nil
			}
			return uint64(uint32(x)), nil
		}
		return int64(x), nil
	case int64:
		// BIT, ENUM and SET arrive as int64 too: all of them are written back as numbers.
		if c.Unsigned || c.DataType == "bit" || c.DataType == "set" || c.DataType == "enum" {
			return uint64(x), nil
		}
		return x, nil
	case uint64:
		return x, nil
	case int:
		return int64(x), nil
	case float32:
		// Widened exactly; its shortest DOUBLE text rounds back to the same FLOAT.
		return strconv.FormatFloat(float64(x), 'g', -1, 64), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("column %s holds %v, which SQL cannot write", c.Name, x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case decimal.Decimal:
		return x.String(), nil
	case string:
		if c.DataType == "json" {
			// MySQL's binary JSON, which go-mysql renders as text.
			return mysqlJSONText(x), nil
		}
		if textual(c) {
			return x, nil
		}
		if x == "" {
			// Not nil: the driver sends a nil []byte as NULL.
			return []byte{}, nil
		}
		// go-mysql's strings are views of the event's bytes, which it allocates per event
		// and never writes again; so is this slice, and nothing writes to it either.
		return unsafe.Slice(unsafe.StringData(x), len(x)), nil
	case []byte:
		if textual(c) {
			return string(x), nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("column %s: unexpected binlog value of type %T", c.Name, v)
}

// textual reports whether a string value is a temporal or numeric text (DATETIME, TIME,
// DECIMAL printed by go-mysql) rather than column bytes.
func textual(c schema.Column) bool {
	switch c.DataType {
	case "date", "datetime", "timestamp", "time", "decimal", "json":
		return true
	}
	return false
}
