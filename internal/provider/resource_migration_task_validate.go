package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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

// ConfigValidators holds the rules across attributes. Each reads the configuration and
// returns early where a value it needs is not known yet.
func (r *migrationTaskResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		taskRule{"merge_tables only without incremental migration", checkMergeTables},
		taskRule{"operations and throttling only with the migration types they apply to", checkTypeSpecificSettings},
		taskRule{"retry_time_for_other_issues lower than retry_time_for_failed_connections", checkRetryTimes},
		taskRule{"schema_objects only with schema migration", checkSchemaObjects},
		taskRule{"each database and each table selected once", checkDuplicateObjects},
		taskRule{"destination table fields that AnalyticDB accepts", checkTableFields},
		taskRule{"data_verification settings that fit its mode", checkDataVerification},
	}
}

// taskRule is one rule across a task's attributes.
type taskRule struct {
	desc  string
	check func(m *taskConfig, diags *diag.Diagnostics)
}

func (r taskRule) Description(context.Context) string             { return r.desc }
func (r taskRule) MarkdownDescription(ctx context.Context) string { return r.desc }

func (r taskRule) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m taskModel
	if diags := req.Config.Get(ctx, &m); diags.HasError() {
		// Only an unknown list of blocks (a dynamic block over a value known after apply)
		// fails to decode here; the rules run again once it is known.
		return
	}
	r.check(&taskConfig{taskModel: &m, ctx: ctx}, &resp.Diagnostics)
}

// taskConfig is a task's configuration as the rules see it.
type taskConfig struct {
	*taskModel
	ctx context.Context
}

// migrationTypes returns the configured migration types, and false while they are unknown.
func (c *taskConfig) migrationTypes() ([]string, bool) {
	if c.MigrationTypes.IsUnknown() {
		return nil, false
	}
	var diags diag.Diagnostics
	mts := stringsOf(c.ctx, c.MigrationTypes, &diags)
	return mts, !diags.HasError()
}

// has reports whether the migration types include migrationType, and whether they are known.
func (c *taskConfig) has(migrationType api.MigrationType) (has, known bool) {
	mts, ok := c.migrationTypes()
	return slices.Contains(mts, string(migrationType)), ok
}

func checkMergeTables(c *taskConfig, diags *diag.Diagnostics) {
	incremental, known := c.has(api.MigrationIncremental)
	if known && incremental && c.MergeTables.ValueBool() {
		diags.AddAttributeError(path.Root("merge_tables"), "Merge Tables Needs a Task Without Incremental Migration",
			"merge_tables = true writes every selected table into one destination table, which only a schema and full migration can do. "+
				"Remove \"incremental\" from migration_types, or set merge_tables = false (or create a separate task for the merged tables).")
	}
}

// checkTypeSpecificSettings refuses settings that the configured migration types would
// ignore: operations and incremental_throttling without incremental, full_throttling without
// full.
func checkTypeSpecificSettings(c *taskConfig, diags *diag.Diagnostics) {
	incremental, known := c.has(api.MigrationIncremental)
	if !known {
		return
	}
	full, _ := c.has(api.MigrationFull)
	needIncremental := func(p path.Path, name string) {
		diags.AddAttributeError(p, "Setting Needs Incremental Migration",
			fmt.Sprintf("%s applies only to incremental migration, and migration_types does not include \"incremental\". "+
				"Add \"incremental\" to migration_types, or remove %s.", name, name))
	}
	if !incremental {
		if !c.DMLOperations.IsNull() {
			needIncremental(path.Root("dml_operations"), "dml_operations")
		}
		if !c.DDLOperations.IsNull() {
			needIncremental(path.Root("ddl_operations"), "ddl_operations")
		}
		if c.IncrementalThrottling != nil {
			needIncremental(path.Root("incremental_throttling"), "incremental_throttling")
		}
		for i, o := range c.Objects {
			for j, t := range o.Tables {
				p := tablePath(i, j)
				if !t.DMLOperations.IsNull() {
					needIncremental(p.AtName("dml_operations"), "the table's dml_operations")
				}
				if !t.DDLOperations.IsNull() {
					needIncremental(p.AtName("ddl_operations"), "the table's ddl_operations")
				}
			}
		}
	}
	if !full && c.FullThrottling != nil {
		diags.AddAttributeError(path.Root("full_throttling"), "Setting Needs Full Migration",
			"full_throttling limits the full data migration, and migration_types does not include \"full\". "+
				"Add \"full\" to migration_types, or remove the full_throttling block.")
	}
}

// checkSchemaObjects refuses schema_objects without schema migration
// (taskrules.SchemaObjects).
func checkSchemaObjects(c *taskConfig, diags *diag.Diagnostics) {
	if c.MigrationTypes.IsUnknown() || c.SchemaObjects.IsUnknown() || c.SchemaObjects.IsNull() {
		return
	}
	var d diag.Diagnostics
	mts := namesOf[api.MigrationType](c.ctx, c.MigrationTypes, &d)
	kinds := namesOf[api.SchemaObject](c.ctx, c.SchemaObjects, &d)
	if d.HasError() {
		return
	}
	if fe, ok := errors.AsType[*taskrules.FieldError](taskrules.SchemaObjects(mts, kinds)); ok {
		diags.AddAttributeError(attributePath(fe.Field), "Setting Needs Schema Migration", sentence(fe.Message))
	}
}

// checkRetryTimes compares the two retry windows with taskrules.RetryTimesOrdered, a null
// one standing for its default.
func checkRetryTimes(c *taskConfig, diags *diag.Diagnostics) {
	conn, other := c.RetryTimeForFailedConnections, c.RetryTimeForOtherIssues
	if conn.IsUnknown() || other.IsUnknown() {
		return
	}
	// Null is 0, the runner's default; a configured 0 is out of range.
	connMinutes, otherMinutes := int(conn.ValueInt64()), int(other.ValueInt64())
	if (!conn.IsNull() && connMinutes == 0) || (!other.IsNull() && otherMinutes == 0) ||
		taskrules.RetryTimesInRange(connMinutes, otherMinutes) != nil {
		return // out of range: the attributes' own validators say so
	}
	if err := taskrules.RetryTimesOrdered(connMinutes, otherMinutes); err != nil {
		diags.AddAttributeError(path.Root("retry_time_for_other_issues"), "Retry Time for Other Issues Too Long",
			err.Error()+". Lower retry_time_for_other_issues or raise retry_time_for_failed_connections.")
	}
}

// checkDuplicateObjects refuses a database selected twice, and a table selected twice within
// a database (taskrules.SelectedOnce). Names not known yet are left out.
func checkDuplicateObjects(c *taskConfig, diags *diag.Diagnostics) {
	objects := make([]api.Object, len(c.Objects))
	for i, o := range c.Objects {
		objects[i].Database = o.Database.ValueString()
		objects[i].Tables = make([]api.Table, len(o.Tables))
		for j, t := range o.Tables {
			objects[i].Tables[j].Name = t.Name.ValueString()
		}
	}
	err := taskrules.SelectedOnce(objects)
	if fe, ok := errors.AsType[*taskrules.FieldError](err); ok {
		summary := "Database Selected Twice"
		if strings.HasSuffix(fe.Field, ".name") {
			summary = "Table Selected Twice"
		}
		diags.AddAttributeError(attributePath(fe.Field), summary, sentence(fe.Message))
	}
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

// checkTableFields checks the destination table fields the way AnalyticDB does: partition
// settings need a partition key, a dimension table has no distribution key, and a
// composite primary key includes every distribution key column and the partition key.
func checkTableFields(c *taskConfig, diags *diag.Diagnostics) {
	for i, o := range c.Objects {
		for j, t := range o.Tables {
			p := tablePath(i, j)
			if t.PartitionKey.IsNull() {
				if !t.PartitionRule.IsNull() {
					diags.AddAttributeError(p.AtName("partition_rule"), "Partition Rule Without Partition Key",
						"partition_rule says how partition_key becomes a partition value, and the table has no partition_key. Set partition_key or remove partition_rule.")
				}
				if !t.PartitionLifecycle.IsNull() {
					diags.AddAttributeError(p.AtName("partition_lifecycle"), "Partition Lifecycle Without Partition Key",
						"partition_lifecycle says how many partitions to keep, and the table has no partition_key. Set partition_key or remove partition_lifecycle.")
				}
			}
			if api.TableType(t.TableType.ValueString()) == api.TableDimension && !t.DistributionKey.IsNull() {
				diags.AddAttributeError(p.AtName("distribution_key"), "Dimension Table With Distribution Key",
					"A dimension table is copied to every node and has no distribution key. Remove distribution_key or set table_type = \"fact\".")
			}
			if t.PrimaryKey.IsUnknown() || t.DistributionKey.IsUnknown() || t.PartitionKey.IsUnknown() {
				continue
			}
			var d diag.Diagnostics
			pk := stringsOf(c.ctx, t.PrimaryKey, &d)
			if len(pk) < 2 || d.HasError() {
				continue
			}
			lack := []string{}
			for _, col := range stringsOf(c.ctx, t.DistributionKey, &d) {
				if !containsFold(pk, col) {
					lack = append(lack, col)
				}
			}
			if pc := t.PartitionKey.ValueString(); pc != "" && !containsFold(pk, pc) {
				lack = append(lack, pc)
			}
			if len(lack) > 0 && !d.HasError() {
				diags.AddAttributeError(p.AtName("primary_key"), "Composite Primary Key Misses Key Columns",
					fmt.Sprintf("The composite primary key (%s) must include every distribution_key column and the partition_key, as AnalyticDB requires; "+
						"it lacks %s. Add them to primary_key.", strings.Join(pk, ", "), strings.Join(lack, ", ")))
			}
		}
	}
}

// checkDataVerification checks that sample_percent comes with, and only with, the sampled
// mode, and that repair has something to repair.
func checkDataVerification(c *taskConfig, diags *diag.Diagnostics) {
	v := c.DataVerification
	if v == nil || v.Mode.IsUnknown() {
		return
	}
	mode := api.VerificationMode(v.Mode.ValueString())
	if v.Mode.IsNull() {
		mode = api.VerifyNone
	}
	p := path.Root("data_verification")
	switch {
	case mode == api.VerifySampled && v.SamplePercent.IsNull():
		diags.AddAttributeError(p.AtName("sample_percent"), "Missing Sample Percentage",
			"mode = \"sampled\" checks a share of the chunks: set sample_percent (1..100), or use mode = \"full\".")
	case mode != api.VerifySampled && !v.SamplePercent.IsNull() && !v.SamplePercent.IsUnknown():
		diags.AddAttributeError(p.AtName("sample_percent"), "Sample Percentage Without Sampling",
			fmt.Sprintf("sample_percent applies only to mode = \"sampled\", and mode is %q. Remove sample_percent or set mode = \"sampled\".", mode))
	}
	if mode == api.VerifyNone && v.Repair.ValueBool() {
		diags.AddAttributeError(p.AtName("repair"), "Repair Without Verification",
			"repair rewrites the rows that verification finds different, and mode is \"none\". Set mode to \"full\" or \"sampled\", or remove repair.")
	}
}

func tablePath(object, table int) path.Path {
	return path.Root("object").AtListIndex(object).AtName("table").AtListIndex(table)
}

// containsFold reports whether names holds name, ignoring case as MySQL does for columns.
func containsFold(names []string, name string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
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
