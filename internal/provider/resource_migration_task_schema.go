// The migration task resource's schema: its attributes and blocks, with their validators and
// plan modifiers.

package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

func (r *migrationTaskResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	stable := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A migration task run by the adbmigrate-runner: schema migration, full data migration and incremental " +
			"(binlog) migration of the selected databases and tables from the source connection to the destination connection. " +
			"Apply waits until a full-only task is `Completed`, and until a task with incremental migration is `Running`, for at most " +
			"the `timeouts`; a task that fails makes apply fail with the runner's message. A task still on its way when the timeout " +
			"passes keeps running: apply ends with a warning, and the next plan shows an in-place update that waits for it again. " +
			"Each argument's description says whether changing it updates the task in place or replaces it (a new task migrates " +
			"everything again).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Task id assigned by the runner; use it to import.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Task name; need not be unique. Generated from the id when not set. Updates in place.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       stable,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"source_connection_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `adbmigrate_connection` to read from. Changing it replaces the task.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"destination_connection_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `adbmigrate_connection` to write to. Changing it replaces the task.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"migration_types": schema.SetAttribute{
				MarkdownDescription: "What the task does: `schema` (create databases and tables on the destination), `full` " +
					"(copy all existing rows) and `incremental` (then replicate the source's binlog until stopped). Changing it replaces the task.",
				Required:      true,
				ElementType:   types.StringType,
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(fromNames(api.MigrationTypes)...)),
				},
			},
			"dml_operations": schema.SetAttribute{
				MarkdownDescription: "Row changes that incremental migration applies to the destination: `insert`, `update` (written as " +
					"`REPLACE INTO`; an update of the primary key becomes `DELETE` + `INSERT`) and `delete`. Default all three. A table's own " +
					"`dml_operations` overrides it. Only with `incremental` in `migration_types` (setting it otherwise fails at plan). " +
					"Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				ElementType:   types.StringType,
				Default:       setdefault.StaticValue(stringSet(vocab.DMLOrDefault(nil))),
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
				Validators:    operationsValidators(api.DMLOperations),
			},
			"ddl_operations": schema.SetAttribute{
				MarkdownDescription: "Schema changes that incremental migration applies to the destination. Default `[\"add_column\", \"drop_column\"]`, " +
					"the cloud service's; beyond it, opt in to `modify_column` (MODIFY/CHANGE COLUMN, ALTER COLUMN SET/DROP DEFAULT), " +
					"`rename_column`, `add_index`, `drop_index` (unique keys included), `table_options` (those the destination supports), " +
					"`create_table` (CREATE TABLE and CREATE TABLE ... LIKE in a database selected whole, and tables renamed into it, which are copied), " +
					"`drop_table`, `rename_table` and `truncate_table`. A DDL left out is reported as a notice and not applied, unless leaving it out " +
					"would make later rows land wrong in silence (a column moved, or given fractional seconds or a floating-point type, without " +
					"`modify_column`; a unique key dropped without `drop_index`): the task then fails, saying so; a value a destination column " +
					"left narrower cannot hold fails the task when it comes (writes are strict). A primary key change always fails the task. Online schema changes by gh-ost " +
					"and pt-online-schema-change are followed as the DDL they make. A table's own `ddl_operations` overrides it. Only with " +
					"`incremental` in `migration_types` (setting it otherwise fails at plan). Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				ElementType:   types.StringType,
				Default:       setdefault.StaticValue(stringSet(vocab.DDLOrDefault(nil))),
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
				Validators:    operationsValidators(api.DDLOperations),
			},
			"retry_time_for_failed_connections": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Minutes the task retries, with backoff, after losing a connection to the source or the "+
					"destination before it fails: %d..%d, default `%d`. Set at least 30. Updates in place.",
					api.MinRetryTimeForFailedConnections, api.MaxRetryTime, api.DefaultRetryTimeForFailedConnections),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(api.DefaultRetryTimeForFailedConnections),
				Validators: []validator.Int64{int64validator.Between(api.MinRetryTimeForFailedConnections, api.MaxRetryTime)},
			},
			"retry_time_for_other_issues": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Minutes the task retries, with backoff, after other failures (for example a DDL or DML "+
					"statement the destination refuses) before it fails: %d..%d, default `%d`; must be lower than "+
					"`retry_time_for_failed_connections`. Updates in place.",
					api.MinRetryTimeForOtherIssues, api.MaxRetryTime, api.DefaultRetryTimeForOtherIssues),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(api.DefaultRetryTimeForOtherIssues),
				Validators: []validator.Int64{int64validator.Between(api.MinRetryTimeForOtherIssues, api.MaxRetryTime)},
			},
			"environment_tag": schema.StringAttribute{
				MarkdownDescription: "Optional label of the task's environment, for example `production` or `staging`; 1..64 characters. " +
					"The runner reports it with the task's alerts. Updates in place.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 64)},
			},
			"desired_status": schema.StringAttribute{
				MarkdownDescription: "`running` (default) runs the task; `stopped` stops it: for a task with incremental migration " +
					"that is the cut-over. Updates in place.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(string(api.DesiredRunning)),
				Validators: []validator.String{stringvalidator.OneOf(fromNames(api.DesiredStatuses)...)},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Task status: `NotStarted`, `Prechecking`, `PrecheckFailed`, `SchemaMigrating`, `FullMigrating`, " +
					"`Running`, `Retrying`, `Stopped`, `Completed` or `Failed`.",
				Computed:      true,
				PlanModifiers: stable,
			},
			"phase": schema.StringAttribute{
				MarkdownDescription: "Phase the task is in or ended in: `precheck`, `schema`, `full` or `incremental`.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"progress_percent": schema.Float64Attribute{
				MarkdownDescription: "Share of the source rows copied, 0..100, by the source's row estimates.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Float64{float64planmodifier.UseStateForUnknown()},
			},
			"rows_migrated": schema.Int64Attribute{
				MarkdownDescription: "Rows written to the destination by the full migration.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"binlog_file": schema.StringAttribute{
				MarkdownDescription: "Source binlog file of the task's position: recorded before the full copy started, then the last change applied by incremental migration.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"binlog_position": schema.Int64Attribute{
				MarkdownDescription: "Source binlog offset of the task's position (see `binlog_file`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"gtid_set": schema.StringAttribute{
				MarkdownDescription: "Source GTID set at the task's position (empty without GTIDs).",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"latency_seconds": schema.Float64Attribute{
				MarkdownDescription: "Seconds the destination is behind the source during incremental migration; 0 otherwise.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Float64{float64planmodifier.UseStateForUnknown()},
			},
			"started_at": schema.StringAttribute{
				MarkdownDescription: "When the task's current run started (RFC 3339, UTC); null until it first starts.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"finished_at": schema.StringAttribute{
				MarkdownDescription: "When the task's last run ended (RFC 3339, UTC); null while it runs or before it ran.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"updated_at": schema.StringAttribute{
				MarkdownDescription: "When the runner last changed the task's status or progress (RFC 3339, UTC).",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"verification": schema.SingleNestedAttribute{
				MarkdownDescription: "Results of data verification (see `data_verification`) so far; null until verification has run.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				Attributes:          verificationAttributes(),
			},
			"error_message": schema.StringAttribute{
				MarkdownDescription: "Why the task failed, with what to do about it; empty otherwise.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"conflict_handling": schema.StringAttribute{
				MarkdownDescription: "What to do about destination tables that already exist. `precheck_and_report_errors` (default): the precheck " +
					"fails and the task does not start. `ignore_errors_and_proceed`: no check; during full migration destination rows with the same key are " +
					"kept (the source rows are not migrated), and when schemas differ only matching columns are migrated. Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(string(api.ConflictReport)),
				Validators:    []validator.String{stringvalidator.OneOf(fromNames(api.ConflictHandlings)...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"schema_objects": schema.SetAttribute{
				MarkdownDescription: "Schema objects other than tables to migrate with the schema (needs `schema` in `migration_types`): " +
					"`views`, and for MySQL and MariaDB destinations `routines` (procedures and functions), `triggers` and `events`. Default: none. " +
					"Views and routines are created right after the tables. Triggers and events are created only at cut-over " +
					"(when `desired_status = \"stopped\"` has drained the task, or when a task without incremental migration completes), " +
					"never while rows replicate: a trigger firing on replicated rows would apply its effect a second time. " +
					"Objects are created in the destination database (`rename_to`); a trigger follows its table's `rename_to`. " +
					"The precheck item `schema_objects` fails when the source user cannot read a definition. Changing it replaces the task.",
				ElementType:   types.StringType,
				Optional:      true,
				Validators:    []validator.Set{setvalidator.ValueStringsAre(stringvalidator.OneOf(fromNames(api.SchemaObjectKinds)...))},
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
			},
			"schema_objects_definer": schema.StringAttribute{
				MarkdownDescription: "Whose `DEFINER` the objects of `schema_objects` get: `rewrite` (default) drops the source's `DEFINER` so the " +
					"destination connection's user defines them; `keep` keeps it (that account must exist on the destination, and the user needs the " +
					"privilege to name another definer). Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(string(api.DefinerRewrite)),
				Validators:    []validator.String{stringvalidator.OneOf(fromNames(api.Definers)...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"merge_tables": schema.BoolAttribute{
				MarkdownDescription: "Merge every selected table into one destination table (give them the same `rename_to`); a `__dts_data_source` " +
					"column holds each row's source `database.table` and joins the primary key. Only without incremental migration (fails at plan " +
					"otherwise). Default `false`. Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(false),
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"instance_class": schema.StringAttribute{
				MarkdownDescription: "Sets the parallelism of the full copy: " + instanceClassesMarkdown() + ". Changing it replaces the task.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DefaultInstanceClass),
				Validators:          []validator.String{stringvalidator.OneOf(api.InstanceClasses...)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"ignore_precheck_alerts": schema.SetAttribute{
				MarkdownDescription: "Names of alert-level precheck items to accept; every other alert stops the task like a failure. " +
					"Ignoring alerts may cause data inconsistency. One of " + backquoted(vocab.PrecheckItems()) + ". Updates in place.",
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(stringvalidator.OneOf(vocab.PrecheckItems()...))},
			},
			"precheck": schema.ListNestedAttribute{
				MarkdownDescription: "Results of the last precheck: one item per check, with `name`, `status` (`passed`, `alert` or `failed`), `message` and `remedy`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    schema.StringAttribute{Computed: true, MarkdownDescription: "Item name, as used in `ignore_precheck_alerts`."},
					"status":  schema.StringAttribute{Computed: true, MarkdownDescription: "`passed`, `alert` or `failed`."},
					"message": schema.StringAttribute{Computed: true, MarkdownDescription: "What the check found."},
					"remedy":  schema.StringAttribute{Computed: true, MarkdownDescription: "What to do about it."},
				}},
			},
			"table_progress": schema.ListNestedAttribute{
				MarkdownDescription: "Full-migration progress per source table.",
				Computed:            true,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"database":      schema.StringAttribute{Computed: true, MarkdownDescription: "Source database."},
					"table":         schema.StringAttribute{Computed: true, MarkdownDescription: "Source table."},
					"rows_migrated": schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows written to the destination."},
					"rows_total":    schema.Int64Attribute{Computed: true, MarkdownDescription: "The source's row estimate."},
					"done":          schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the table's copy is complete."},
				}},
			},
		},
		Blocks: map[string]schema.Block{
			"full_throttling": schema.SingleNestedBlock{
				MarkdownDescription: "Limits the full migration to reduce the load on both databases. Unset means unlimited. Only with `full` in " +
					"`migration_types` (fails at plan otherwise). Updates in place, also on a running task.",
				Attributes: map[string]schema.Attribute{
					"source_qps": schema.Int64Attribute{
						MarkdownDescription: "Queries per second sent to the source; at least 1.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.AtLeast(1)},
					},
					"rps": schema.Int64Attribute{
						MarkdownDescription: "Rows per second written to the destination; at least 1.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.AtLeast(1)},
					},
					"mbps": schema.Float64Attribute{
						MarkdownDescription: "MiB per second written to the destination; at least 0.01.",
						Optional:            true,
						Validators:          []validator.Float64{float64validator.AtLeast(0.01)},
					},
				},
			},
			"incremental_throttling": schema.SingleNestedBlock{
				MarkdownDescription: "Limits incremental migration to reduce the load on the destination. Unset means unlimited. Only with " +
					"`incremental` in `migration_types` (fails at plan otherwise). Updates in place.",
				Attributes: map[string]schema.Attribute{
					"rps": schema.Int64Attribute{
						MarkdownDescription: "Row changes per second applied to the destination; at least 1.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.AtLeast(1)},
					},
					"mbps": schema.Float64Attribute{
						MarkdownDescription: "MiB per second of row changes applied to the destination; at least 0.01.",
						Optional:            true,
						Validators:          []validator.Float64{float64validator.AtLeast(0.01)},
					},
				},
			},
			"monitoring": schema.SingleNestedBlock{
				MarkdownDescription: "Alerts: the runner logs each alert and, with `webhook_url`, posts it as JSON. Without this block, no alerts. " +
					"Updates in place.",
				Attributes: map[string]schema.Attribute{
					"on_failure": schema.BoolAttribute{
						MarkdownDescription: "Alert when the task fails. Default `true`.",
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(true),
					},
					"latency_threshold_seconds": schema.Int64Attribute{
						MarkdownDescription: "Alert when incremental migration is more than this many seconds behind the source; at least 1. " +
							"Unset means no latency alert.",
						Optional:   true,
						Validators: []validator.Int64{int64validator.AtLeast(1)},
					},
					"webhook_url": schema.StringAttribute{
						MarkdownDescription: "`http` or `https` URL that receives each alert as a JSON `POST`.",
						Optional:            true,
						Validators:          []validator.String{httpURL{}},
					},
				},
			},
			"data_verification": schema.SingleNestedBlock{
				MarkdownDescription: "Compares the destination with the source: each table in key-ordered chunks of 1000 rows, by row count " +
					"and summed per-row MD5 hashes computed on each server, narrowed to the rows of a chunk that differs, each reported by key " +
					"as missing, extra or differing. It runs once when the full migration is done (before a full-only task is `Completed`), " +
					"and in sweeps during incremental migration, where a row that differs counts only if it still differs, with its source " +
					"row unchanged, after a settle delay (the runner's `--verify-settle`, 10 s): changes in flight raise no alarm. The runner's " +
					"API also runs it on demand (`POST /v1/tasks/{id}/verify`). Results in `verification`; a mismatch is an event and, with " +
					"`monitoring`, an alert. Its source queries obey `full_throttling.source_qps`. Updates in place.",
				Attributes: map[string]schema.Attribute{
					"mode": schema.StringAttribute{
						MarkdownDescription: "`none` (default), `full` (every chunk) or `sampled` (a share of the chunks, see `sample_percent`).",
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString(string(api.VerifyNone)),
						Validators:          []validator.String{stringvalidator.OneOf(fromNames(api.VerificationModes)...)},
					},
					"sample_percent": schema.Int64Attribute{
						MarkdownDescription: "Percentage of chunks checked, 1..100; required with `mode = \"sampled\"` and refused otherwise.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.Between(1, 100)},
					},
					"repair": schema.BoolAttribute{
						MarkdownDescription: "Rewrite the destination rows found to differ from the source. Needs `mode` `full` or `sampled`. Default `false`.",
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
					},
				},
			},
			"timeouts": timeoutsBlock(ctx),
			"object": schema.ListNestedBlock{
				MarkdownDescription: "A source database to migrate. At least one; each database once, and each table once within it. " +
					"Adding `object` blocks, or `table` blocks to an object that lists its tables, updates a task with `full` and " +
					"`incremental` migration (and no `merge_tables`) in place: the runner pauses the binlog stream, creates and copies the " +
					"added tables, and resumes the stream from its checkpoint, so their changes since are applied too. Any other change " +
					"to the selection, or any change on another task, replaces the task.",
				Validators: []validator.List{listvalidator.SizeAtLeast(1)},
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplaceIf(objectsNeedReplace,
					"Replaces the task unless tables are only added to a task with full and incremental migration.",
					"Replaces the task unless tables are only added to a task with full and incremental migration.")},
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"database": schema.StringAttribute{
							MarkdownDescription: "Source database name.",
							Required:            true,
							Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
						},
						"rename_to": schema.StringAttribute{
							MarkdownDescription: "Destination database name; the source name when not set.",
							Optional:            true,
							Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
						},
					},
					Blocks: map[string]schema.Block{
						"table": schema.ListNestedBlock{
							MarkdownDescription: "A table of the database to migrate. Without table blocks, every table of the database is migrated.",
							NestedObject: schema.NestedBlockObject{
								Attributes: map[string]schema.Attribute{
									"name": schema.StringAttribute{
										MarkdownDescription: "Source table name.",
										Required:            true,
										Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
									},
									"rename_to": schema.StringAttribute{
										MarkdownDescription: "Destination table name; the source name when not set.",
										Optional:            true,
										Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
									},
									"where": schema.StringAttribute{
										MarkdownDescription: "Migrate only the rows matching this boolean SQL expression over the source columns, " +
											"for example `status <> 'deleted' AND id > 100`. Checked by the SQL parser at plan time; subqueries and statements are refused. " +
											"The full migration's SELECT on the source applies it; incremental migration evaluates it for each changed row on the destination's SQL engine, " +
											"with the row's text in its column's character set and collation, so the same rows match (`name = 'alice'` keeps `Alice` under a case-insensitive collation; " +
											"`ENUM` and `SET` columns compare by their member text, as in `status = 'active'`, not by index number).",
										Optional:   true,
										Validators: []validator.String{whereFilter{}},
									},
									"dml_operations": schema.SetAttribute{
										MarkdownDescription: "This table's own `dml_operations` (`insert`, `update`, `delete`); the task's when not set. " +
											"Only with `incremental`.",
										Optional:    true,
										ElementType: types.StringType,
										Validators:  operationsValidators(api.DMLOperations),
									},
									"ddl_operations": schema.SetAttribute{
										MarkdownDescription: "This table's own `ddl_operations` (the names of the task's `ddl_operations`); the task's when not set. " +
											"Only with `incremental`.",
										Optional:    true,
										ElementType: types.StringType,
										Validators:  operationsValidators(api.DDLOperations),
									},
									"columns": schema.ListAttribute{
										MarkdownDescription: "Source columns to migrate; all when not set. Must include the table's key columns.",
										Optional:            true,
										ElementType:         types.StringType,
										Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
									},
									"table_type": schema.StringAttribute{
										MarkdownDescription: "Destination table type for AnalyticDB: `fact` (partitioned, `DISTRIBUTED BY HASH`) or " +
											"`dimension` (replicated, `DISTRIBUTED BY BROADCAST`; for small tables; no `distribution_key`).",
										Optional:   true,
										Validators: []validator.String{stringvalidator.OneOf(fromNames(api.TableTypes)...)},
									},
									"primary_key": schema.ListAttribute{
										MarkdownDescription: "Destination primary key columns. A composite key (2 or more columns) must include every " +
											"`distribution_key` column and the `partition_key` (checked at plan).",
										Optional:    true,
										ElementType: types.StringType,
										Validators:  []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
									},
									"distribution_key": schema.ListAttribute{
										MarkdownDescription: "Destination distribution key columns (AnalyticDB `DISTRIBUTED BY HASH`); the primary key when not set.",
										Optional:            true,
										ElementType:         types.StringType,
										Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
									},
									"partition_key": schema.StringAttribute{
										MarkdownDescription: "Destination partition key column (AnalyticDB `PARTITION BY VALUE`). Needed by " +
											"`partition_rule` and `partition_lifecycle`.",
										Optional:   true,
										Validators: []validator.String{stringvalidator.LengthBetween(1, 64)},
									},
									"partition_rule": schema.StringAttribute{
										MarkdownDescription: "How the partition key becomes a partition value: `value` (the column itself), `day`, `month` or `year` " +
											"(`DATE_FORMAT` of a date column with `%Y%m%d`, `%Y%m` or `%Y`). Default `value`.",
										Optional:   true,
										Validators: []validator.String{stringvalidator.OneOf(fromNames(api.PartitionRules)...)},
									},
									"partition_lifecycle": schema.Int64Attribute{
										MarkdownDescription: "Number of partitions AnalyticDB keeps (`LIFECYCLE n`): those with the largest partition values.",
										Optional:            true,
										Validators:          []validator.Int64{int64validator.AtLeast(1)},
									},
								},
								Blocks: map[string]schema.Block{
									"etl": etlBlock(),
									"column": schema.ListNestedBlock{
										MarkdownDescription: "Renames a column on the destination.",
										NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
											"name": schema.StringAttribute{
												MarkdownDescription: "Source column name.",
												Required:            true,
											},
											"rename_to": schema.StringAttribute{
												MarkdownDescription: "Destination column name.",
												Required:            true,
												Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
											},
										}},
									},
								},
							},
						},
					},
				},
			},
		},
	}
}

// objectsNeedReplace decides whether a change of the object blocks replaces the task: all
// but adding tables to a task with full and incremental migration (see api.ObjectsOnlyAdded).
func objectsNeedReplace(ctx context.Context, req planmodifier.ListRequest, resp *listplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = true
	var kinds types.Set
	var merge types.Bool
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("migration_types"), &kinds)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("merge_tables"), &merge)...)
	if resp.Diagnostics.HasError() || kinds.IsUnknown() || merge.IsUnknown() || req.PlanValue.IsUnknown() {
		return
	}
	var old, next []objectModel
	if req.StateValue.ElementsAs(ctx, &old, false).HasError() || req.PlanValue.ElementsAs(ctx, &next, false).HasError() {
		return
	}
	var diags diag.Diagnostics
	spec := api.TaskSpec{MigrationTypes: namesOf[api.MigrationType](ctx, kinds, &diags), MergeTables: merge.ValueBool()}
	oldObjects, nextObjects := objectsSpec(ctx, old, &diags), objectsSpec(ctx, next, &diags)
	if diags.HasError() {
		return
	}
	resp.RequiresReplace = !(api.TablesAddable(spec) && api.ObjectsOnlyAdded(oldObjects, nextObjects))
}

// instanceClassesMarkdown lists the instance classes with the copy workers each gives, and
// which is the default, for instance_class's description.
func instanceClassesMarkdown() string {
	parts := make([]string, len(vocab.InstanceClasses))
	for i, c := range vocab.InstanceClasses {
		parts[i] = fmt.Sprintf("`%s` (%d", c, vocab.InstanceClassWorkers[c])
		if i == 0 {
			parts[i] += " workers"
		}
		if c == vocab.DefaultInstanceClass {
			parts[i] += ", default"
		}
		parts[i] += ")"
	}
	return strings.Join(parts, ", ")
}

// verificationAttributes is the schema of the computed verification object.
func verificationAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"status": schema.StringAttribute{Computed: true, MarkdownDescription: "`running`; or how the last sweep ended: `passed` (no row differs), " +
			"`mismatched`, or `repaired` (every row found to differ was rewritten from the source and then matched)."},
		"chunks_checked": schema.Int64Attribute{Computed: true, MarkdownDescription: "Chunks compared by the sweep."},
		"rows_checked":   schema.Int64Attribute{Computed: true, MarkdownDescription: "Source rows compared by the sweep."},
		"mismatches":     schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows found to differ between source and destination (after repair, those still differing)."},
		"repaired":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows rewritten from the source by `repair`."},
		"sweeps":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Completed comparisons of every table: one after the full migration, more during incremental migration and on demand."},
		"mismatched":     mismatchesAttribute("The first rows the sweep found to differ (at most 100)."),
		"keys_rechecked": schema.Int64Attribute{Computed: true, MarkdownDescription: "During incremental migration, the changed rows compared " +
			"again after the settle delay, since the task's run started."},
		"recheck_mismatches": schema.Int64Attribute{Computed: true, MarkdownDescription: "Changed rows that still differed after the settle " +
			"delay with their source row unchanged."},
		"recheck_mismatched": mismatchesAttribute("The first of those rows (at most 100)."),
		"unverified": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "Tables the sweep could not compare, each with the reason (for example a table with an `etl` block and no key). " +
				"Every selected table is either compared or listed here.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"table":  schema.StringAttribute{Computed: true, MarkdownDescription: "Source `database.table`."},
				"reason": schema.StringAttribute{Computed: true, MarkdownDescription: "Why it was not compared, and what to do."},
			}},
		},
	}
}

// mismatchesAttribute is a computed list of rows that differ.
func mismatchesAttribute(desc string) schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Computed:            true,
		MarkdownDescription: desc,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"table": schema.StringAttribute{Computed: true, MarkdownDescription: "Source `database.table`."},
			"key":   schema.StringAttribute{Computed: true, MarkdownDescription: "The row's source key, `column=value, ...` (a row hash for a table without key)."},
			"kind":  schema.StringAttribute{Computed: true, MarkdownDescription: "`missing` on the destination, `extra` on the destination, or `differs`."},
		}},
	}
}

// timeoutsBlock is the timeouts block: how long apply waits for a task.
func timeoutsBlock(ctx context.Context) schema.Block {
	desc := "How long apply waits for the task to be `Completed` (full-only) or `Running` (with incremental), as a duration " +
		"such as `30m` or `2h`. Default `60m`. When it passes, the task keeps running and apply ends with a warning."
	b := timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, CreateDescription: desc + " Applies when the task is created.",
		UpdateDescription: desc + " Applies when the task is updated."})
	if nb, ok := b.(schema.SingleNestedBlock); ok {
		nb.MarkdownDescription = "Bounds on how long apply waits for the task. Changing them updates in place (nothing is sent to the runner)."
		return nb
	}
	return b
}

// etlBlock is a table's etl block.
func etlBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		MarkdownDescription: "Filters rows and computes destination columns with [CEL](https://cel.dev) expressions over the source row, `row`, " +
			"identically in full and incremental migration (at most one block). `row.<column>` has the column's CEL type: `int` for signed integers " +
			"and `YEAR`, `uint` for unsigned integers and `BIT`, `double` for `FLOAT` and `DOUBLE`, `decimal` for `DECIMAL` (exact: `+`, `-`, `*`, " +
			"comparisons with numbers, `round(d, places)`, `decimal(\"1.5\")`, `string(d)`, `int(d)`, `double(d)`; put the decimal on the left of an " +
			"operator), `bytes` for binary strings and BLOBs, and `string` for the rest: character types, JSON, the member of an `ENUM` (its error value reads as `\"\"`, like a `''` member), the members " +
			"of a `SET` joined by commas, and dates and times in MySQL's text form (`2024-05-01 12:00:00.5`). A NULL column is `null`, and " +
			"`has(row.<column>)` is true when it is not NULL. Functions do not take `null`: to transform a nullable column and keep NULL as NULL, " +
			"guard it with a conditional whose other branch is `null`, `row.email == null ? null : row.email.lowerAscii()` or " +
			"`has(row.amount) ? row.amount * 100 : null`; such a conditional has the type of its value branch, whatever it is (string, bytes, int, " +
			"uint, double, bool, decimal, timestamp), and gives NULL or the value. The strings, math and base64 extensions are available. " +
			"Syntax is checked at plan time; the precheck type-checks each expression against the source table (item `etl_expressions`). " +
			"A type error names the table, the `filter` or `set` key and the expression, with a hint when it involves `null`. " +
			"A row on which an expression fails (an overflow, a function of an unguarded NULL) fails the task, naming the table, the row's key and the expression. " +
			"The key columns cannot be dropped or computed. Data verification covers tables with an etl block: the runner computes their expected rows " +
			"with the same expressions and compares them with the destination's by key (a table without key, or with a computed column of a type whose " +
			"stored form verification does not compute, such as MySQL's JSON or spatial types, is listed in `verification.unverified`). Changing it replaces the task.",
		Validators: []validator.List{listvalidator.SizeAtMost(1)},
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"filter": schema.StringAttribute{
				MarkdownDescription: "Boolean CEL expression: rows for which it is false or null are not migrated, for example " +
					"`row.status != \"deleted\" && row.amount > 0`; a filter that gives null, as `row.email == null ? null : row.email.endsWith(\".org\")` " +
					"does for a NULL email, leaves the row out. An update that makes a row stop matching deletes it on the destination; " +
					"one that makes it match inserts it. Applies together with `where`.",
				Optional:   true,
				Validators: []validator.String{celExpression{}},
			},
			"set": schema.MapAttribute{
				MarkdownDescription: "Destination column name to CEL expression computing its value, for example " +
					"`{ email = \"row.email == null ? null : row.email.lowerAscii()\" }`. A migrated column's name replaces its value; another name adds a column, declared " +
					"from the expression's type: `bigint`, `bigint unsigned`, `double`, `tinyint(1)` (bool), `decimal(65,30)`, `longtext`, " +
					"`longblob`, `datetime(6)` (timestamp) or `time(6)` (duration) on MySQL and MariaDB; `bigint`, `decimal(20,0)`, `double`, " +
					"`boolean`, `decimal(38,10)`, `varchar`, `binary`, `datetime(3)` or `time` on AnalyticDB.",
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Map{mapvalidator.SizeAtLeast(1), mapvalidator.ValueStringsAre(celExpression{})},
			},
			"drop_columns": schema.ListAttribute{
				MarkdownDescription: "Source columns not migrated. Expressions can still read them.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
			},
		}},
	}
}
