// Package etl filters rows and computes destination columns with CEL expressions
// (github.com/google/cel-go), the per-table `etl` block of a task. Full and incremental
// migration evaluate the same compiled programs on the same CEL values (see toCEL), so a
// row gets the same result whichever way it arrives.
//
// An expression sees the source row as `row`: `row.<column>` has the column's CEL type
// (see celType), is null when the column is NULL, and `has(row.<column>)` is true when it
// is not NULL. A conditional with a null branch, `row.c == null ? null : f(row.c)`, gives
// NULL or the value and has the value's type (see nullBranches); a filter that gives null
// keeps no row. The standard CEL functions are there, with the strings, math and encoders
// extensions, and the decimal type's functions.
package etl

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskexpr"
)

// ErrEvaluation marks an expression that failed on a row: no retry can fix it.
var ErrEvaluation = errors.New("ETL expression failed")

// Spec is a table's etl block.
type Spec struct {
	// Filter is a boolean expression: rows for which it is false or null are not migrated.
	Filter string
	// Set maps destination column names to expressions that compute them. A name that is
	// a migrated column replaces its value; another adds a column.
	Set map[string]string
	// DropColumns are source columns not migrated. Expressions can still read them.
	DropColumns []string
}

// Empty reports whether the block asks for nothing.
func (s Spec) Empty() bool { return s.Filter == "" && len(s.Set) == 0 && len(s.DropColumns) == 0 }

// rowTypeName is the CEL type of `row`.
const rowTypeName = "adbmigrate.Row"

// baseOptions are the environment options every expression gets: the libraries whose syntax
// taskexpr.CELSyntax checks at plan time, null branches (see nullBranches) and the decimal
// type.
func baseOptions() []cel.EnvOption {
	opts := append(taskexpr.CELLibraries(), cel.CrossTypeNumericComparisons(true), nullBranches())
	opts = append(opts, asciiCase()...)
	return append(opts, decimalLibrary()...)
}

// asciiCase gives lowerAscii and upperAscii of cel-go's strings library byte-wise bindings.
// The library's convert the whole string to runes and back, which was most of the cost of
// `row.c.upperAscii()` on a sysbench row (BenchmarkSysbenchRow: 1,429 ns). The result is
// the same on valid UTF-8, as CEL strings are: only the bytes A-Z or a-z change, and no
// byte of a multi-byte character is among them. Declaring an overload again with its
// signature replaces its binding.
func asciiCase() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("lowerAscii", cel.MemberOverload("string_lower_ascii", []*cel.Type{cel.StringType}, cel.StringType,
			cel.UnaryBinding(func(s ref.Val) ref.Val { return types.String(switchCase(string(s.(types.String)), 'A', 'Z')) }))),
		cel.Function("upperAscii", cel.MemberOverload("string_upper_ascii", []*cel.Type{cel.StringType}, cel.StringType,
			cel.UnaryBinding(func(s ref.Val) ref.Val { return types.String(switchCase(string(s.(types.String)), 'a', 'z')) }))),
	}
}

// switchCase switches the case of every ASCII letter of s from lo to hi (A-Z or a-z); it
// returns s itself when there is none.
func switchCase(s string, lo, hi byte) string {
	for i := 0; i < len(s); i++ {
		if lo <= s[i] && s[i] <= hi {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if lo <= b[j] && b[j] <= hi {
					b[j] ^= 'a' - 'A' // the case bit of ASCII letters
				}
			}
			return string(b)
		}
	}
	return s
}

// nullBranches lets a conditional give null in one branch and a value in the other:
// `row.c == null ? null : f(row.c)` and `has(row.c) ? f(row.c) : null` type-check and
// yield NULL or the value of f(row.c), whatever its type. Standard CEL accepts a null
// branch next to a decimal, timestamp or duration, but not next to a string, bytes, int,
// uint, double or bool, and `_?_:_` takes no further overloads. So the parser rewrites a
// null literal branch to dyn(null): the conditional is then dyn to the checker, and the
// column kind of its result is the kind of its other branch (see outputKind).
func nullBranches() cel.EnvOption {
	return cel.Macros(cel.GlobalMacro(operators.Conditional, 3,
		func(eh cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *cel.Error) {
			t, f := args[1], args[2]
			switch {
			case isNullLiteral(t) && !isNullLiteral(f):
				t = eh.NewCall(overloads.TypeConvertDyn, t)
			case isNullLiteral(f) && !isNullLiteral(t):
				f = eh.NewCall(overloads.TypeConvertDyn, f)
			default:
				return nil, nil // not expanded: the standard conditional
			}
			return eh.NewCall(operators.Conditional, args[0], t, f), nil
		}))
}

func isNullLiteral(e celast.Expr) bool {
	return e.Kind() == celast.LiteralKind && e.AsLiteral() == types.NullValue
}

// isNullBranch reports whether e is a null branch as nullBranches rewrites it.
func isNullBranch(e celast.Expr) bool {
	if isNullLiteral(e) {
		return true
	}
	if e.Kind() != celast.CallKind {
		return false
	}
	c := e.AsCall()
	return c.FunctionName() == overloads.TypeConvertDyn && len(c.Args()) == 1 && isNullLiteral(c.Args()[0])
}

// outputKind is the column kind of the value a checked expression gives; "" when it
// cannot be known. A conditional with a null branch has the kind of its other branch, and
// one whose branches have the same kind has that kind.
func outputKind(a *celast.AST, e celast.Expr) string {
	if k := resultKind(a.GetType(e.ID())); k != "" {
		return k
	}
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != operators.Conditional || len(e.AsCall().Args()) != 3 {
		return ""
	}
	t, f := e.AsCall().Args()[1], e.AsCall().Args()[2]
	switch {
	case isNullBranch(t):
		return outputKind(a, f)
	case isNullBranch(f):
		return outputKind(a, t)
	}
	if kt := outputKind(a, t); kt == outputKind(a, f) {
		return kt
	}
	return ""
}

// Output is a destination column an expression computes.
type Output struct {
	Name string // destination column
	Expr string
	// Kind is the kind of value the expression gives (KindInt, ...), for declaring a new
	// column.
	Kind    string
	program cel.Program
}

// Program is a table's compiled etl block. It is safe for concurrent use; each goroutine
// evaluates rows through its own Row.
type Program struct {
	table   *schema.Table
	spec    Spec
	filter  cel.Program
	outputs []Output
	keyIdx  []int
}

// Compile type-checks a table's etl block against its source columns and compiles it
// once, for every row of the table. The error names the table and the expression.
func Compile(t *schema.Table, s Spec) (*Program, error) {
	where := fmt.Sprintf("etl of table %s.%s", t.Database, t.Name)
	for _, c := range s.DropColumns {
		if _, ok := t.Column(c); !ok {
			return nil, fmt.Errorf("%s: drop_columns names %q, which the source table does not have", where, c)
		}
		if slices.ContainsFunc(t.Key, func(k string) bool { return strings.EqualFold(k, c) }) {
			return nil, fmt.Errorf("%s: drop_columns names key column %q: the destination needs the key to keep rows unique; keep it", where, c)
		}
	}
	p := &Program{table: t, spec: s}
	for _, k := range t.Key {
		p.keyIdx = append(p.keyIdx, slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, k) }))
	}
	env, err := newEnv(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if s.Filter != "" {
		prg, out, kind, err := compile(env, s.Filter)
		if err != nil {
			return nil, fmt.Errorf("%s: filter %q: %w", where, s.Filter, err)
		}
		if kind != KindBool && (kind != "" || !out.IsAssignableType(cel.BoolType)) {
			return nil, fmt.Errorf("%s: filter %q gives a %s, not a bool: write a condition, for example row.amount > 0", where, s.Filter, out)
		}
		p.filter = prg
	}
	names := slices.Sorted(maps.Keys(s.Set))
	for _, name := range names {
		expr := s.Set[name]
		for _, k := range t.Key {
			if strings.EqualFold(k, name) {
				return nil, fmt.Errorf("%s: set computes key column %q: rows are matched by their source key, so the key cannot change; compute another column", where, name)
			}
		}
		prg, out, kind, err := compile(env, expr)
		if err != nil {
			return nil, fmt.Errorf("%s: set.%s = %q: %w", where, name, expr, err)
		}
		if kind == "" {
			return nil, fmt.Errorf("%s: set.%s = %q gives a %s, so the column's type cannot be known: convert the result, for example string(...) or int(...)", where, name, expr, out)
		}
		p.outputs = append(p.outputs, Output{Name: name, Expr: expr, Kind: kind, program: prg})
	}
	return p, nil
}

// compile type-checks and plans expr. It returns the result's type and its column kind
// (see outputKind).
func compile(env *cel.Env, expr string) (cel.Program, *cel.Type, string, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil, "", errors.New("the expression is empty")
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, nil, "", errors.New(taskexpr.CELIssues(iss) + nullHint(iss))
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, nil, "", err
	}
	native := ast.NativeRep()
	return prg, ast.OutputType(), outputKind(native, native.Expr()), nil
}

// nullHint is the advice for a type error that involves null: a nullable column's value
// meets a function or operator that does not take null.
func nullHint(iss *cel.Issues) string {
	if !slices.ContainsFunc(iss.Errors(), func(e *cel.Error) bool { return strings.Contains(e.Message, "null") }) {
		return ""
	}
	return "\nA column that can be NULL is null in an expression: guard it and give null or a value, " +
		"for example row.c == null ? null : row.c.lowerAscii(), or has(row.c) ? row.c * 2 : null; " +
		"both branches of a conditional must otherwise have the same type"
}

// newEnv is the CEL environment of a table: `row` is an object with a field per stored
// source column.
func newEnv(t *schema.Table) (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	prov := &rowProvider{Registry: reg, fields: map[string]*types.FieldType{}}
	for i, c := range t.Columns {
		if c.Generated {
			continue // not in a full load's rows: reading it could differ between phases
		}
		prov.names = append(prov.names, c.Name)
		prov.fields[c.Name] = &types.FieldType{
			Type:    celType(c),
			IsSet:   func(target any) bool { return target.(*Row).raw[i] != nil },
			GetFrom: func(target any) (any, error) { return target.(*Row).get(i) },
		}
	}
	opts := append([]cel.EnvOption{cel.CustomTypeProvider(prov), cel.Variable("row", rowType)}, baseOptions()...)
	return cel.NewEnv(opts...)
}

var rowType = types.NewObjectType(rowTypeName)

// rowProvider adds the row type to CEL's registry.
type rowProvider struct {
	*types.Registry
	names  []string
	fields map[string]*types.FieldType
}

func (p *rowProvider) FindStructType(name string) (*types.Type, bool) {
	if name == rowTypeName {
		return types.NewTypeTypeWithParam(rowType), true
	}
	return p.Registry.FindStructType(name)
}

func (p *rowProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == rowTypeName {
		return p.names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *rowProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if name == rowTypeName {
		ft, ok := p.fields[field]
		return ft, ok
	}
	return p.Registry.FindStructFieldType(name, field)
}

// Outputs are the columns the program computes, in name order.
func (p *Program) Outputs() []Output { return p.outputs }

// HasFilter reports whether the program filters rows.
func (p *Program) HasFilter() bool { return p.filter != nil }

// Dropped reports whether the etl block drops source column name.
func (p *Program) Dropped(name string) bool {
	return slices.ContainsFunc(p.spec.DropColumns, func(c string) bool { return strings.EqualFold(c, name) })
}

// Computes reports whether the program computes destination column name.
func (p *Program) Computes(name string) bool {
	return slices.ContainsFunc(p.outputs, func(o Output) bool { return strings.EqualFold(o.Name, name) })
}

// Row is one source row being evaluated: values are converted to CEL only when an
// expression reads them, once per row. A Row is reused from row to row by one goroutine.
type Row struct {
	p    *Program
	raw  []any
	vals []ref.Val
}

// NewRow returns a Row for the program's table.
func (p *Program) NewRow() *Row {
	n := len(p.table.Columns)
	return &Row{p: p, vals: make([]ref.Val, n)}
}

// Reset makes r the row whose values are raw, in the order of the table's columns (the
// columns a full load does not read are nil).
func (r *Row) Reset(raw []any) {
	r.raw = raw
	clear(r.vals)
}

func (r *Row) get(i int) (any, error) {
	if v := r.vals[i]; v != nil {
		return v, nil
	}
	v, err := toCEL(r.p.table.Columns[i], r.raw[i])
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", r.p.table.Columns[i].Name, err)
	}
	r.vals[i] = v
	return v, nil
}

// ResolveName implements interpreter.Activation: `row` is r.
func (r *Row) ResolveName(name string) (any, bool) {
	if name == "row" {
		return rowVal{r}, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (r *Row) Parent() interpreter.Activation { return nil }

// rowVal is a Row as a CEL value.
type rowVal struct{ r *Row }

func (v rowVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, errors.New("a row cannot be converted")
}
func (v rowVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return rowType
	}
	return types.NewErr("a row cannot become a %s", t.TypeName())
}
func (v rowVal) Equal(other ref.Val) ref.Val { return types.Bool(other == ref.Val(v)) }
func (v rowVal) Type() ref.Type              { return rowType }
func (v rowVal) Value() any                  { return v.r }

// Keep evaluates the filter on r: true when the row is migrated.
func (p *Program) Keep(r *Row) (bool, error) {
	if p.filter == nil {
		return true, nil
	}
	out, _, err := p.filter.Eval(r)
	if err != nil {
		return false, p.failure(r, "filter", p.spec.Filter, err)
	}
	switch out {
	case types.True:
		return true, nil
	case types.False, types.NullValue:
		return false, nil
	}
	return false, p.failure(r, "filter", p.spec.Filter, fmt.Errorf("gave %v, not a bool", out))
}

// Value evaluates output i on r, as a statement argument.
func (p *Program) Value(r *Row, i int) (any, error) {
	o := p.outputs[i]
	out, _, err := o.program.Eval(r)
	if err != nil {
		return nil, p.failure(r, "set."+o.Name, o.Expr, err)
	}
	v, err := sqlValue(out)
	if err != nil {
		return nil, p.failure(r, "set."+o.Name, o.Expr, err)
	}
	return v, nil
}

// failure is an evaluation error naming the table, the row's key and the expression.
func (p *Program) failure(r *Row, what, expr string, err error) error {
	var key []string
	for i, k := range p.table.Key {
		v := "?"
		if j := p.keyIdx[i]; j >= 0 && j < len(r.raw) {
			v = text(r.raw[j])
		}
		key = append(key, k+"="+v)
	}
	if len(key) == 0 {
		key = []string{"(no key)"}
	}
	return fmt.Errorf("%w: table %s.%s, row %s, %s = %q: %w; fix the expression (guard the case, for example row.c == null ? null : f(row.c), has(row.c) ? f(row.c) : null, or a range check) and start the task again",
		ErrEvaluation, p.table.Database, p.table.Name, strings.Join(key, ", "), what, expr, err)
}
