package etl

import (
	"fmt"
	"math"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/shopspring/decimal"
)

// DecimalType is the CEL type of DECIMAL columns. CEL has no exact decimal number, and a
// double would round, so DECIMAL values are their own type, backed by an arbitrary
// precision decimal: they add, subtract, multiply, negate, round and compare with each
// other and with int, uint and double exactly.
var DecimalType = cel.OpaqueType("decimal")

// Decimal is a DECIMAL value in CEL.
type Decimal struct{ decimal.Decimal }

// ConvertToNative implements ref.Val.
func (d Decimal) ConvertToNative(t reflect.Type) (any, error) {
	switch t {
	case reflect.TypeOf(decimal.Decimal{}):
		return d.Decimal, nil
	case reflect.TypeOf(""):
		return d.String(), nil
	}
	return nil, fmt.Errorf("a decimal cannot become a %v", t)
}

// ConvertToType implements ref.Val.
func (d Decimal) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case DecimalType:
		return d
	case types.StringType:
		return types.String(d.String())
	case types.DoubleType:
		f, _ := d.Float64()
		return types.Double(f)
	case types.TypeType:
		return DecimalType
	}
	return types.NewErr("type conversion error from decimal to '%s'", t.TypeName())
}

// Equal implements ref.Val: a decimal equals any number of the same value.
func (d Decimal) Equal(other ref.Val) ref.Val {
	o, ok := exact(other)
	if !ok {
		return types.False
	}
	return types.Bool(d.Decimal.Equal(o))
}

// Type implements ref.Val.
func (d Decimal) Type() ref.Type { return decimalRuntimeType{} }

// Value implements ref.Val.
func (d Decimal) Value() any { return d.Decimal }

// exact returns a number as a decimal of the same value.
func exact(v ref.Val) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case Decimal:
		return x.Decimal, true
	case types.Int:
		return decimal.NewFromInt(int64(x)), true
	case types.Uint:
		return decimal.NewFromUint64(uint64(x)), true
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return decimal.Decimal{}, false
		}
		return decimal.NewFromFloat(f), true
	}
	return decimal.Decimal{}, false
}

// decimalRuntimeType is the runtime type of Decimal values: it has the traits through
// which CEL's standard operators reach Decimal's arithmetic and comparison.
type decimalRuntimeType struct{}

func (decimalRuntimeType) HasTrait(trait int) bool {
	return trait&(traits.AdderType|traits.SubtractorType|traits.MultiplierType|traits.NegatorType|traits.ComparerType) != 0
}
func (decimalRuntimeType) TypeName() string { return DecimalType.TypeName() }

// Add implements traits.Adder.
func (d Decimal) Add(other ref.Val) ref.Val { return d.arith(other, decimal.Decimal.Add) }

// Subtract implements traits.Subtractor.
func (d Decimal) Subtract(other ref.Val) ref.Val { return d.arith(other, decimal.Decimal.Sub) }

// Multiply implements traits.Multiplier.
func (d Decimal) Multiply(other ref.Val) ref.Val { return d.arith(other, decimal.Decimal.Mul) }

// Negate implements traits.Negater.
func (d Decimal) Negate() ref.Val { return Decimal{d.Neg()} }

// Compare implements traits.Comparer.
func (d Decimal) Compare(other ref.Val) ref.Val {
	o, ok := exact(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Int(d.Cmp(o))
}

func (d Decimal) arith(other ref.Val, f func(x, y decimal.Decimal) decimal.Decimal) ref.Val {
	o, ok := exact(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return Decimal{f(d.Decimal, o)}
}

// decimalLibrary declares the decimal type's functions and operators. The operators take
// the decimal on the left: row.amount * 2, row.amount > 0.
func decimalLibrary() []cel.EnvOption {
	dec := DecimalType
	var opts []cel.EnvOption
	for _, op := range []string{operators.Add, operators.Subtract, operators.Multiply} {
		var overloads []cel.FunctionOpt
		for _, n := range []*cel.Type{cel.IntType, cel.UintType, dec} {
			overloads = append(overloads, cel.Overload(overloadID(op, dec, n), []*cel.Type{dec, n}, dec))
		}
		opts = append(opts, cel.Function(op, overloads...))
	}
	for _, op := range []string{operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals} {
		var overloads []cel.FunctionOpt
		for _, n := range []*cel.Type{cel.IntType, cel.UintType, cel.DoubleType, dec} {
			overloads = append(overloads, cel.Overload(overloadID(op, dec, n), []*cel.Type{dec, n}, cel.BoolType))
		}
		opts = append(opts, cel.Function(op, overloads...))
	}
	opts = append(opts,
		cel.Function(operators.Negate, cel.Overload("negate_decimal", []*cel.Type{dec}, dec)),
		cel.Function("decimal",
			cel.Overload("decimal_string", []*cel.Type{cel.StringType}, dec, cel.UnaryBinding(func(x ref.Val) ref.Val {
				d, err := decimal.NewFromString(string(x.(types.String)))
				if err != nil {
					return types.NewErr("decimal(%q): not a decimal number", string(x.(types.String)))
				}
				return Decimal{d}
			})),
			cel.Overload("decimal_int", []*cel.Type{cel.IntType}, dec, cel.UnaryBinding(toDecimal)),
			cel.Overload("decimal_uint", []*cel.Type{cel.UintType}, dec, cel.UnaryBinding(toDecimal)),
			cel.Overload("decimal_double", []*cel.Type{cel.DoubleType}, dec, cel.UnaryBinding(toDecimal)),
			cel.Overload("decimal_decimal", []*cel.Type{dec}, dec, cel.UnaryBinding(toDecimal))),
		cel.Function("string", cel.Overload("decimal_to_string", []*cel.Type{dec}, cel.StringType,
			cel.UnaryBinding(func(x ref.Val) ref.Val { return types.String(x.(Decimal).String()) }))),
		cel.Function("double", cel.Overload("decimal_to_double", []*cel.Type{dec}, cel.DoubleType,
			cel.UnaryBinding(func(x ref.Val) ref.Val { f, _ := x.(Decimal).Float64(); return types.Double(f) }))),
		cel.Function("int", cel.Overload("decimal_to_int", []*cel.Type{dec}, cel.IntType,
			cel.UnaryBinding(func(x ref.Val) ref.Val {
				t := x.(Decimal).Truncate(0)
				if !t.BigInt().IsInt64() {
					return types.NewErr("int(%s): integer overflow", x.(Decimal).String())
				}
				return types.Int(t.IntPart())
			}))),
		cel.Function("round", cel.Overload("round_decimal_int", []*cel.Type{dec, cel.IntType}, dec,
			cel.BinaryBinding(func(x, places ref.Val) ref.Val {
				p := int64(places.(types.Int))
				if p < -65 || p > 65 {
					return types.NewErr("round(decimal, %d): places must be within -65..65", p)
				}
				return Decimal{x.(Decimal).Round(int32(p))}
			}))),
	)
	return opts
}

func toDecimal(x ref.Val) ref.Val {
	d, ok := exact(x)
	if !ok {
		return types.NewErr("decimal(%v): not a finite number", x.Value())
	}
	return Decimal{d}
}

func overloadID(op string, x, y *cel.Type) string {
	return fmt.Sprintf("%s_%s_%s", op, x.TypeName(), y.TypeName())
}
