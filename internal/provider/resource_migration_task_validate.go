package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskexpr"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskrules"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// operationsValidators checks a set of dml_operations or ddl_operations.
func operationsValidators(allowed []api.Operation) []validator.Set {
	return []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.OneOf(fromNames(allowed)...))}
}

// whereFilter checks a table's where with taskexpr.ParseWhere, the parser the runner, the
// precheck and the full copy use.
type whereFilter struct{}

func (whereFilter) Description(context.Context) string {
	return "must be one SQL condition on the table's own columns"
}

func (v whereFilter) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (whereFilter) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := taskexpr.ParseWhere(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid WHERE Filter",
			fmt.Sprintf("The where filter %q cannot be used: %v. Write one condition over the table's own columns, "+
				"for example \"status <> 'deleted' AND id > 100\".", req.ConfigValue.ValueString(), err))
	}
}

// httpURL checks that a string is an absolute http or https URL.
type httpURL struct{}

func (httpURL) Description(context.Context) string { return "must be an http or https URL" }

func (v httpURL) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (httpURL) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !taskrules.HTTPURL(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Webhook URL",
			fmt.Sprintf("%q is not an http or https URL such as https://hooks.example.com/adbmigrate.", req.ConfigValue.ValueString()))
	}
}

// ConfigValidators holds the rules across attributes: taskrules.Validate's, the rules the
// runner applies to the task too.
func (r *migrationTaskResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{taskRules{}}
}

// taskRules checks the configuration against taskrules.Validate and reports each rule
// across fields it breaks on the attribute to change. Rules on one attribute's value are the
// attributes' own validators; a rule that read a value not known yet is left for the plan
// that knows it.
type taskRules struct{}

func (taskRules) Description(context.Context) string {
	return "the rules across attributes that the runner checks too (taskrules.Validate)"
}

func (v taskRules) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (taskRules) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m taskModel
	if diags := req.Config.Get(ctx, &m); diags.HasError() {
		// Only an unknown list of blocks (a dynamic block over a value known after apply)
		// fails to decode here; the rules run again once it is known.
		return
	}
	// The configuration's values, not the plan's: an operation default the schema fills
	// in is not a setting the user made. An unknown value reads as unset; the rules that
	// read one are left out below, and the diagnostics of a value that cannot be read are
	// the attribute's own.
	spec, _ := m.values(ctx)
	for _, err := range joined(taskrules.Validate(spec)) {
		fe, ok := errors.AsType[*taskrules.FieldError](err)
		if !ok || fe.Rule == "" || !known(ctx, req.Config, append([]string{fe.Field}, fe.Reads...)) {
			continue
		}
		resp.Diagnostics.AddAttributeError(attributePath(fe.Field), fe.Rule, sentence(fe.Message))
	}
}

// joined returns the errors err joins, err itself when it joins none, and nil for nil.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// known reports whether the configuration knows the value of every field, a taskrules
// field path, in full. A field the configuration has no attribute for reads as known.
func known(ctx context.Context, config tfsdk.Config, fields []string) bool {
	for _, f := range fields {
		var v attr.Value
		if config.GetAttribute(ctx, attributePath(f), &v).HasError() || v == nil {
			continue
		}
		raw, err := v.ToTerraformValue(ctx)
		if v.IsUnknown() || (err == nil && !raw.IsFullyKnown()) {
			return false
		}
	}
	return true
}

// attributePath turns a taskrules field path, in the API's JSON names
// (objects[0].tables[1].etl.set.total), into the path of the same attribute in the
// migration task's schema (object[0].table[1].etl[0].set["total"]).
func attributePath(field string) path.Path {
	blocks := map[string]string{"objects": "object", "tables": "table", "column_renames": "column"}
	parts := strings.Split(field, ".")
	var p path.Path
	for k := 0; k < len(parts); k++ {
		name, index := parts[k], -1
		if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
			if n, err := strconv.Atoi(name[i+1 : len(name)-1]); err == nil {
				name, index = name[:i], n
			}
		}
		if b, ok := blocks[name]; ok {
			name = b
		}
		if k == 0 {
			p = path.Root(name)
		} else {
			p = p.AtName(name)
		}
		switch {
		case index >= 0:
			p = p.AtListIndex(index)
		case name == "etl":
			p = p.AtListIndex(0) // a block of at most one
		case name == "set" && k+1 < len(parts):
			return p.AtMapKey(strings.Join(parts[k+1:], "."))
		}
	}
	return p
}

// sentence turns a rule's message into a diagnostic's detail: capitalised unless it starts
// with an attribute name, with a full stop.
func sentence(msg string) string {
	first, _, _ := strings.Cut(msg, " ")
	if first == "" || strings.Contains(first, "_") {
		return msg + "."
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func tablePath(object, table int) path.Path {
	return path.Root("object").AtListIndex(object).AtName("table").AtListIndex(table)
}

// stringSet is a set value of vals.
func stringSet[T ~string](vals []T) types.Set {
	elems := make([]attr.Value, len(vals))
	for i, v := range vals {
		elems[i] = types.StringValue(string(v))
	}
	return types.SetValueMust(types.StringType, elems)
}

// backquoted renders names as a Markdown list of code spans.
func backquoted(names []string) string {
	return "`" + strings.Join(names, "`, `") + "`"
}

// celExpression checks an etl expression's syntax with taskexpr.CELSyntax, as the runner does. Whether it
// fits the table's columns is for the precheck, which reads them.
type celExpression struct{}

func (celExpression) Description(context.Context) string {
	return "must be a CEL expression"
}

func (v celExpression) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (celExpression) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := taskexpr.CELSyntax(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CEL Expression",
			fmt.Sprintf("The etl expression %q does not parse: %v. Write a CEL expression over the source row, "+
				"for example row.status != \"deleted\" && row.amount > 0.", req.ConfigValue.ValueString(), err))
	}
}
