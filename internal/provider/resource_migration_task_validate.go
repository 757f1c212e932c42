package provider

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Precheck items the engine adds to the precheck package's own (engine.ItemObjects,
// engine.ItemTableFields and engine.ItemETL; the provider does not import the whole engine
// for three names, and a test keeps them equal).
const (
	precheckItemObjects     = "objects"
	precheckItemTableFields = "destination_table_fields"
	precheckItemETL         = "etl_expressions"
)

// precheckItemNames lists every name ignore_precheck_alerts accepts.
func precheckItemNames() []string {
	return append(precheck.ItemNames(), precheckItemObjects, precheckItemTableFields, precheckItemETL)
}

// operationsValidators checks a set of dml_operations or ddl_operations.
func operationsValidators(allowed []api.Operation) []validator.Set {
	return []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.OneOf(fromNames(allowed)...))}
}

// whereFilter checks a table's where with the engine's own parser, the one the precheck
// and the full copy use.
type whereFilter struct{}

func (whereFilter) Description(context.Context) string {
	return "must be one SQL condition on the table's own columns"
}

func (v whereFilter) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (whereFilter) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := precheck.ParseWhere(req.ConfigValue.ValueString()); err != nil {
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
	u, err := url.Parse(req.ConfigValue.ValueString())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
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

// checkRetryTimes compares the two retry windows, a null one standing for its default.
func checkRetryTimes(c *taskConfig, diags *diag.Diagnostics) {
	conn, other := c.RetryTimeForFailedConnections, c.RetryTimeForOtherIssues
	if conn.IsUnknown() || other.IsUnknown() {
		return
	}
	connMinutes, otherMinutes := int64(api.DefaultRetryTimeForFailedConnections), int64(api.DefaultRetryTimeForOtherIssues)
	connDefault := " (the default)"
	if !conn.IsNull() {
		connMinutes, connDefault = conn.ValueInt64(), ""
	}
	if !other.IsNull() {
		otherMinutes = other.ValueInt64()
	}
	if connMinutes < api.MinRetryTimeForFailedConnections || connMinutes > api.MaxRetryTime ||
		otherMinutes < api.MinRetryTimeForOtherIssues || otherMinutes > api.MaxRetryTime {
		return // out of range: the attributes' own validators say so
	}
	if otherMinutes >= connMinutes {
		diags.AddAttributeError(path.Root("retry_time_for_other_issues"), "Retry Time for Other Issues Too Long",
			fmt.Sprintf("retry_time_for_other_issues (%d minutes) must be lower than retry_time_for_failed_connections (%d minutes%s). "+
				"Lower retry_time_for_other_issues or raise retry_time_for_failed_connections.", otherMinutes, connMinutes, connDefault))
	}
}

// checkDuplicateObjects refuses a database selected twice, and a table selected twice within
// a database.
func checkDuplicateObjects(c *taskConfig, diags *diag.Diagnostics) {
	databases := map[string]int{}
	for i, o := range c.Objects {
		if o.Database.IsUnknown() || o.Database.IsNull() {
			continue
		}
		db := o.Database.ValueString()
		if first, ok := databases[db]; ok {
			diags.AddAttributeError(path.Root("object").AtListIndex(i).AtName("database"), "Database Selected Twice",
				fmt.Sprintf("Database %q is selected by object blocks %d and %d. Merge them into one object block, with a table block for each table.", db, first, i))
			continue
		}
		databases[db] = i
		tables := map[string]int{}
		for j, t := range o.Tables {
			if t.Name.IsUnknown() || t.Name.IsNull() {
				continue
			}
			if first, ok := tables[t.Name.ValueString()]; ok {
				diags.AddAttributeError(tablePath(i, j).AtName("name"), "Table Selected Twice",
					fmt.Sprintf("Table %q of database %q is selected by table blocks %d and %d. Keep one table block for it.", t.Name.ValueString(), db, first, j))
				continue
			}
			tables[t.Name.ValueString()] = j
		}
	}
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
			if t.TableType.ValueString() == "dimension" && !t.DistributionKey.IsNull() {
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

// celExpression checks an etl expression's syntax with the engine's CEL parser. Whether it
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
	if err := etl.Syntax(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CEL Expression",
			fmt.Sprintf("The etl expression %q does not parse: %v. Write a CEL expression over the source row, "+
				"for example row.status != \"deleted\" && row.amount > 0.", req.ConfigValue.ValueString(), err))
	}
}
