package provider

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

type taskModel struct {
	ID                            types.String                `tfsdk:"id"`
	Name                          types.String                `tfsdk:"name"`
	SourceConnectionID            types.String                `tfsdk:"source_connection_id"`
	DestinationConnectionID       types.String                `tfsdk:"destination_connection_id"`
	MigrationTypes                types.Set                   `tfsdk:"migration_types"`
	DMLOperations                 types.Set                   `tfsdk:"dml_operations"`
	DDLOperations                 types.Set                   `tfsdk:"ddl_operations"`
	DesiredStatus                 types.String                `tfsdk:"desired_status"`
	ConflictHandling              types.String                `tfsdk:"conflict_handling"`
	MergeTables                   types.Bool                  `tfsdk:"merge_tables"`
	SchemaObjects                 types.Set                   `tfsdk:"schema_objects"`
	SchemaObjectsDefiner          types.String                `tfsdk:"schema_objects_definer"`
	InstanceClass                 types.String                `tfsdk:"instance_class"`
	IgnorePrecheckAlerts          types.Set                   `tfsdk:"ignore_precheck_alerts"`
	RetryTimeForFailedConnections types.Int64                 `tfsdk:"retry_time_for_failed_connections"`
	RetryTimeForOtherIssues       types.Int64                 `tfsdk:"retry_time_for_other_issues"`
	EnvironmentTag                types.String                `tfsdk:"environment_tag"`
	FullThrottling                *throttlingModel            `tfsdk:"full_throttling"`
	IncrementalThrottling         *incrementalThrottlingModel `tfsdk:"incremental_throttling"`
	Monitoring                    *monitoringModel            `tfsdk:"monitoring"`
	DataVerification              *dataVerificationModel      `tfsdk:"data_verification"`
	Objects                       []objectModel               `tfsdk:"object"`
	Timeouts                      timeouts.Value              `tfsdk:"timeouts"`
	TableProgress                 types.List                  `tfsdk:"table_progress"`
	taskStatusModel
}

// taskStatusModel is the runner's view of a task's run: the computed attributes the
// resource and the data source share.
type taskStatusModel struct {
	Status          types.String  `tfsdk:"status"`
	Phase           types.String  `tfsdk:"phase"`
	ProgressPercent types.Float64 `tfsdk:"progress_percent"`
	RowsMigrated    types.Int64   `tfsdk:"rows_migrated"`
	BinlogFile      types.String  `tfsdk:"binlog_file"`
	BinlogPosition  types.Int64   `tfsdk:"binlog_position"`
	GTIDSet         types.String  `tfsdk:"gtid_set"`
	LatencySeconds  types.Float64 `tfsdk:"latency_seconds"`
	ErrorMessage    types.String  `tfsdk:"error_message"`
	Precheck        types.List    `tfsdk:"precheck"`
	Verification    types.Object  `tfsdk:"verification"`
	StartedAt       types.String  `tfsdk:"started_at"`
	FinishedAt      types.String  `tfsdk:"finished_at"`
	UpdatedAt       types.String  `tfsdk:"updated_at"`
}

type throttlingModel struct {
	SourceQPS types.Int64   `tfsdk:"source_qps"`
	RPS       types.Int64   `tfsdk:"rps"`
	MBPS      types.Float64 `tfsdk:"mbps"`
}

type incrementalThrottlingModel struct {
	RPS  types.Int64   `tfsdk:"rps"`
	MBPS types.Float64 `tfsdk:"mbps"`
}

type monitoringModel struct {
	OnFailure               types.Bool   `tfsdk:"on_failure"`
	LatencyThresholdSeconds types.Int64  `tfsdk:"latency_threshold_seconds"`
	WebhookURL              types.String `tfsdk:"webhook_url"`
}

type dataVerificationModel struct {
	Mode          types.String `tfsdk:"mode"`
	SamplePercent types.Int64  `tfsdk:"sample_percent"`
	Repair        types.Bool   `tfsdk:"repair"`
}

type objectModel struct {
	Database types.String `tfsdk:"database"`
	RenameTo types.String `tfsdk:"rename_to"`
	Tables   []tableModel `tfsdk:"table"`
}

type tableModel struct {
	Name               types.String  `tfsdk:"name"`
	RenameTo           types.String  `tfsdk:"rename_to"`
	Where              types.String  `tfsdk:"where"`
	Columns            types.List    `tfsdk:"columns"`
	Column             []columnModel `tfsdk:"column"`
	TableType          types.String  `tfsdk:"table_type"`
	PrimaryKey         types.List    `tfsdk:"primary_key"`
	DistributionKey    types.List    `tfsdk:"distribution_key"`
	PartitionKey       types.String  `tfsdk:"partition_key"`
	PartitionRule      types.String  `tfsdk:"partition_rule"`
	PartitionLifecycle types.Int64   `tfsdk:"partition_lifecycle"`
	DMLOperations      types.Set     `tfsdk:"dml_operations"`
	DDLOperations      types.Set     `tfsdk:"ddl_operations"`
	ETL                []etlModel    `tfsdk:"etl"`
}

type etlModel struct {
	Filter      types.String `tfsdk:"filter"`
	Set         types.Map    `tfsdk:"set"`
	DropColumns types.List   `tfsdk:"drop_columns"`
}

type columnModel struct {
	Name     types.String `tfsdk:"name"`
	RenameTo types.String `tfsdk:"rename_to"`
}

type precheckItemModel struct {
	Name    types.String `tfsdk:"name"`
	Status  types.String `tfsdk:"status"`
	Message types.String `tfsdk:"message"`
	Remedy  types.String `tfsdk:"remedy"`
}

type tableProgressModel struct {
	Database     types.String `tfsdk:"database"`
	Table        types.String `tfsdk:"table"`
	RowsMigrated types.Int64  `tfsdk:"rows_migrated"`
	RowsTotal    types.Int64  `tfsdk:"rows_total"`
	Done         types.Bool   `tfsdk:"done"`
}

var (
	precheckItemType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "status": types.StringType, "message": types.StringType, "remedy": types.StringType,
	}}
	mismatchType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"table": types.StringType, "key": types.StringType, "kind": types.StringType,
	}}
	verificationType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"status": types.StringType, "chunks_checked": types.Int64Type, "rows_checked": types.Int64Type, "mismatches": types.Int64Type,
		"repaired": types.Int64Type, "sweeps": types.Int64Type, "mismatched": types.ListType{ElemType: mismatchType},
		"keys_rechecked": types.Int64Type, "recheck_mismatches": types.Int64Type, "recheck_mismatched": types.ListType{ElemType: mismatchType},
		"unverified": types.ListType{ElemType: unverifiedType},
	}}
	unverifiedType    = types.ObjectType{AttrTypes: map[string]attr.Type{"table": types.StringType, "reason": types.StringType}}
	tableProgressType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"database": types.StringType, "table": types.StringType, "rows_migrated": types.Int64Type,
		"rows_total": types.Int64Type, "done": types.BoolType,
	}}
)

// mismatchesValue is the value of a list of rows that differ.
func mismatchesValue(ms []api.Mismatch, diags *diag.Diagnostics) types.List {
	rows := make([]attr.Value, len(ms))
	for i, mm := range ms {
		var d diag.Diagnostics
		rows[i], d = types.ObjectValue(mismatchType.AttrTypes, map[string]attr.Value{
			"table": types.StringValue(mm.Table), "key": types.StringValue(mm.Key), "kind": types.StringValue(string(mm.Kind)),
		})
		diags.Append(d...)
	}
	v, d := types.ListValue(mismatchType, rows)
	diags.Append(d...)
	return v
}

// unverifiedValue is the value of a list of tables verification could not compare.
func unverifiedValue(us []api.Unverified, diags *diag.Diagnostics) types.List {
	rows := make([]attr.Value, len(us))
	for i, u := range us {
		var d diag.Diagnostics
		rows[i], d = types.ObjectValue(unverifiedType.AttrTypes, map[string]attr.Value{
			"table": types.StringValue(u.Table), "reason": types.StringValue(u.Reason),
		})
		diags.Append(d...)
	}
	v, d := types.ListValue(unverifiedType, rows)
	diags.Append(d...)
	return v
}

// precheckItemsValue is the value of a list of precheck items.
func precheckItemsValue(ctx context.Context, items []api.PrecheckItem, diags *diag.Diagnostics) types.List {
	out := make([]precheckItemModel, len(items))
	for i, p := range items {
		out[i] = precheckItemModel{Name: types.StringValue(p.Name), Status: types.StringValue(string(p.Status)),
			Message: types.StringValue(p.Message), Remedy: types.StringValue(p.Remedy)}
	}
	v, d := types.ListValueFrom(ctx, precheckItemType, out)
	diags.Append(d...)
	return v
}

// spec is the API request for the planned model. A task without incremental migration
// sends no dml_operations or ddl_operations: the plan holds their schema default, which
// applies only to incremental migration, and the runner refuses operations on a task that
// has none (vocab.DMLOrDefault and vocab.DDLOrDefault give the same default back when the
// task is read, so the plan and the state agree).
func (m *taskModel) spec(ctx context.Context) (api.TaskSpec, diag.Diagnostics) {
	spec, diags := m.values(ctx)
	if !slices.Contains(spec.MigrationTypes, api.MigrationIncremental) {
		spec.DMLOperations, spec.DDLOperations = nil, nil
	}
	return spec, diags
}

// values is the model's values as a task spec, every field as the model has it: for the
// configuration, what the user set.
func (m *taskModel) values(ctx context.Context) (api.TaskSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := api.TaskSpec{
		Name:                    m.Name.ValueString(),
		SourceConnectionID:      m.SourceConnectionID.ValueString(),
		DestinationConnectionID: m.DestinationConnectionID.ValueString(),
		DesiredStatus:           api.DesiredStatus(m.DesiredStatus.ValueString()),
		ConflictHandling:        api.ConflictHandling(m.ConflictHandling.ValueString()),
		MergeTables:             m.MergeTables.ValueBool(),
		InstanceClass:           m.InstanceClass.ValueString(),
		MigrationTypes:          namesOf[api.MigrationType](ctx, m.MigrationTypes, &diags),
		IgnorePrecheckAlerts:    stringsOf(ctx, m.IgnorePrecheckAlerts, &diags),
		DMLOperations:           sortedNamesOf[api.Operation](ctx, m.DMLOperations, &diags),
		DDLOperations:           sortedNamesOf[api.Operation](ctx, m.DDLOperations, &diags),
		EnvironmentTag:          m.EnvironmentTag.ValueString(),
		SchemaObjects:           sortedNamesOf[api.SchemaObject](ctx, m.SchemaObjects, &diags),
		SchemaObjectsDefiner:    api.Definer(m.SchemaObjectsDefiner.ValueString()),

		RetryTimeForFailedConnections: int(m.RetryTimeForFailedConnections.ValueInt64()),
		RetryTimeForOtherIssues:       int(m.RetryTimeForOtherIssues.ValueInt64()),
	}
	if t := m.FullThrottling; t != nil {
		spec.FullThrottling = &api.Throttling{SourceQPS: t.SourceQPS.ValueInt64(), RPS: t.RPS.ValueInt64(), MBPS: t.MBPS.ValueFloat64()}
	}
	if t := m.IncrementalThrottling; t != nil {
		spec.IncrementalThrottling = &api.Throttling{RPS: t.RPS.ValueInt64(), MBPS: t.MBPS.ValueFloat64()}
	}
	if mo := m.Monitoring; mo != nil {
		spec.Monitoring = &api.Monitoring{OnFailure: mo.OnFailure.ValueBool(),
			LatencyThresholdSeconds: int(mo.LatencyThresholdSeconds.ValueInt64()), WebhookURL: mo.WebhookURL.ValueString()}
	}
	if v := m.DataVerification; v != nil {
		spec.DataVerification = &api.DataVerification{Mode: api.VerificationMode(v.Mode.ValueString()), SamplePercent: int(v.SamplePercent.ValueInt64()), Repair: v.Repair.ValueBool()}
	}
	spec.Objects = objectsSpec(ctx, m.Objects, &diags)
	return spec, diags
}

// objectsSpec is the API form of object blocks.
func objectsSpec(ctx context.Context, objects []objectModel, diags *diag.Diagnostics) []api.Object {
	var out []api.Object
	for _, o := range objects {
		obj := api.Object{Database: o.Database.ValueString(), RenameTo: o.RenameTo.ValueString()}
		for _, t := range o.Tables {
			tb := api.Table{
				Name: t.Name.ValueString(), RenameTo: t.RenameTo.ValueString(), Where: t.Where.ValueString(),
				Columns:   stringsOf(ctx, t.Columns, diags),
				TableType: api.TableType(t.TableType.ValueString()), PrimaryKey: stringsOf(ctx, t.PrimaryKey, diags),
				DistributionKey: stringsOf(ctx, t.DistributionKey, diags), PartitionKey: t.PartitionKey.ValueString(),
				PartitionRule: api.PartitionRule(t.PartitionRule.ValueString()), PartitionLifecycle: int(t.PartitionLifecycle.ValueInt64()),
				DMLOperations: sortedNamesOf[api.Operation](ctx, t.DMLOperations, diags), DDLOperations: sortedNamesOf[api.Operation](ctx, t.DDLOperations, diags),
			}
			for _, c := range t.Column {
				tb.ColumnRenames = append(tb.ColumnRenames, api.ColumnRename{Name: c.Name.ValueString(), RenameTo: c.RenameTo.ValueString()})
			}
			for _, e := range t.ETL {
				tb.ETL = &api.ETL{Filter: e.Filter.ValueString(), DropColumns: stringsOf(ctx, e.DropColumns, diags)}
				if !e.Set.IsNull() && !e.Set.IsUnknown() {
					diags.Append(e.Set.ElementsAs(ctx, &tb.ETL.Set, false)...)
				}
			}
			obj.Tables = append(obj.Tables, tb)
		}
		out = append(out, obj)
	}
	return out
}

// fill copies the runner's view of the task into the model.
func (m *taskModel) fill(ctx context.Context, t api.Task) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(t.ID)
	m.Name = types.StringValue(t.Name)
	m.SourceConnectionID = types.StringValue(t.SourceConnectionID)
	m.DestinationConnectionID = types.StringValue(t.DestinationConnectionID)
	m.MigrationTypes = setOf(ctx, t.MigrationTypes, &diags)
	m.DesiredStatus = types.StringValue(string(t.DesiredStatus))
	m.ConflictHandling = types.StringValue(string(cmp.Or(t.ConflictHandling, api.ConflictReport)))
	m.MergeTables = types.BoolValue(t.MergeTables)
	m.SchemaObjects = types.SetNull(types.StringType)
	if len(t.SchemaObjects) > 0 {
		m.SchemaObjects = setOf(ctx, t.SchemaObjects, &diags)
	}
	m.SchemaObjectsDefiner = types.StringValue(string(cmp.Or(t.SchemaObjectsDefiner, api.DefinerRewrite)))
	m.InstanceClass = types.StringValue(firstSet(t.InstanceClass, api.DefaultInstanceClass))
	// The runner does not tell an empty list from none: keep an empty set the model has (from
	// `ignore_precheck_alerts = []`), so that it reads back as configured.
	if len(t.IgnorePrecheckAlerts) > 0 || m.IgnorePrecheckAlerts.IsNull() || m.IgnorePrecheckAlerts.IsUnknown() || len(m.IgnorePrecheckAlerts.Elements()) > 0 {
		m.IgnorePrecheckAlerts = types.SetNull(types.StringType)
		if len(t.IgnorePrecheckAlerts) > 0 {
			m.IgnorePrecheckAlerts = setOf(ctx, t.IgnorePrecheckAlerts, &diags)
		}
	}
	m.DMLOperations = setOf(ctx, vocab.DMLOrDefault(t.DMLOperations), &diags)
	m.DDLOperations = setOf(ctx, vocab.DDLOrDefault(t.DDLOperations), &diags)
	m.RetryTimeForFailedConnections = types.Int64Value(int64(cmp.Or(t.RetryTimeForFailedConnections, api.DefaultRetryTimeForFailedConnections)))
	m.RetryTimeForOtherIssues = types.Int64Value(int64(cmp.Or(t.RetryTimeForOtherIssues, api.DefaultRetryTimeForOtherIssues)))
	m.EnvironmentTag = optionalString(t.EnvironmentTag)
	m.IncrementalThrottling = nil
	if th := t.IncrementalThrottling; th != nil {
		m.IncrementalThrottling = &incrementalThrottlingModel{RPS: optionalInt(th.RPS), MBPS: optionalFloat(th.MBPS)}
	}
	m.Monitoring = nil
	if mo := t.Monitoring; mo != nil {
		m.Monitoring = &monitoringModel{OnFailure: types.BoolValue(mo.OnFailure),
			LatencyThresholdSeconds: optionalInt(int64(mo.LatencyThresholdSeconds)), WebhookURL: optionalString(mo.WebhookURL)}
	}
	m.DataVerification = nil
	if v := t.DataVerification; v != nil {
		m.DataVerification = &dataVerificationModel{Mode: types.StringValue(string(cmp.Or(v.Mode, api.VerifyNone))),
			SamplePercent: optionalInt(int64(v.SamplePercent)), Repair: types.BoolValue(v.Repair)}
	}
	m.FullThrottling = nil
	if th := t.FullThrottling; th != nil {
		m.FullThrottling = &throttlingModel{SourceQPS: optionalInt(th.SourceQPS), RPS: optionalInt(th.RPS), MBPS: optionalFloat(th.MBPS)}
	}
	m.Objects = make([]objectModel, 0, len(t.Objects))
	for _, o := range t.Objects {
		om := objectModel{Database: types.StringValue(o.Database), RenameTo: optionalString(o.RenameTo), Tables: []tableModel{}}
		for _, tb := range o.Tables {
			tm := tableModel{
				Name: types.StringValue(tb.Name), RenameTo: optionalString(tb.RenameTo), Where: optionalString(tb.Where),
				Columns: optionalList(ctx, tb.Columns, &diags), Column: []columnModel{},
				TableType: optionalString(string(tb.TableType)), PrimaryKey: optionalList(ctx, tb.PrimaryKey, &diags),
				DistributionKey: optionalList(ctx, tb.DistributionKey, &diags), PartitionKey: optionalString(tb.PartitionKey),
				PartitionRule: optionalString(string(tb.PartitionRule)), PartitionLifecycle: optionalInt(int64(tb.PartitionLifecycle)),
				DMLOperations: optionalSet(ctx, tb.DMLOperations, &diags), DDLOperations: optionalSet(ctx, tb.DDLOperations, &diags),
			}
			for _, c := range tb.ColumnRenames {
				tm.Column = append(tm.Column, columnModel{Name: types.StringValue(c.Name), RenameTo: types.StringValue(c.RenameTo)})
			}
			tm.ETL = []etlModel{}
			if e := tb.ETL; e != nil {
				em := etlModel{Filter: optionalString(e.Filter), Set: types.MapNull(types.StringType), DropColumns: optionalList(ctx, e.DropColumns, &diags)}
				if len(e.Set) > 0 {
					var d diag.Diagnostics
					em.Set, d = types.MapValueFrom(ctx, types.StringType, e.Set)
					diags.Append(d...)
				}
				tm.ETL = append(tm.ETL, em)
			}
			om.Tables = append(om.Tables, tm)
		}
		m.Objects = append(m.Objects, om)
	}
	diags.Append(m.fillState(ctx, t.State)...)
	var d diag.Diagnostics
	progress := make([]tableProgressModel, len(t.State.Tables))
	for i, tp := range t.State.Tables {
		progress[i] = tableProgressModel{Database: types.StringValue(tp.Database), Table: types.StringValue(tp.Table),
			RowsMigrated: types.Int64Value(tp.RowsMigrated), RowsTotal: types.Int64Value(tp.RowsTotal), Done: types.BoolValue(tp.Done)}
	}
	m.TableProgress, d = types.ListValueFrom(ctx, tableProgressType, progress)
	diags.Append(d...)
	return diags
}

// fillState copies a task's run state into the model.
func (m *taskStatusModel) fillState(ctx context.Context, s api.TaskState) diag.Diagnostics {
	var diags, d diag.Diagnostics
	m.Status = types.StringValue(string(s.Status))
	m.Phase = types.StringValue(string(s.Phase))
	m.ProgressPercent = types.Float64Value(s.ProgressPercent)
	m.RowsMigrated = types.Int64Value(s.RowsMigrated)
	m.BinlogFile = types.StringValue(s.Position.File)
	m.BinlogPosition = types.Int64Value(int64(s.Position.Pos))
	m.GTIDSet = types.StringValue(s.Position.GTIDSet)
	m.LatencySeconds = types.Float64Value(s.LatencySeconds)
	m.ErrorMessage = types.StringValue(s.ErrorMessage)
	m.Precheck = precheckItemsValue(ctx, s.Precheck, &diags)
	m.Verification = types.ObjectNull(verificationType.AttrTypes)
	if v := s.Verification; v != nil {
		m.Verification, d = types.ObjectValue(verificationType.AttrTypes, map[string]attr.Value{
			"status": types.StringValue(string(v.Status)), "chunks_checked": types.Int64Value(v.ChunksChecked),
			"rows_checked": types.Int64Value(v.RowsChecked), "mismatches": types.Int64Value(v.Mismatches),
			"repaired": types.Int64Value(v.Repaired), "sweeps": types.Int64Value(v.Sweeps),
			"mismatched":     mismatchesValue(v.Mismatched, &diags),
			"keys_rechecked": types.Int64Value(v.KeysRechecked), "recheck_mismatches": types.Int64Value(v.RecheckMismatches),
			"recheck_mismatched": mismatchesValue(v.RecheckMismatched, &diags),
			"unverified":         unverifiedValue(v.Unverified, &diags),
		})
		diags.Append(d...)
	}
	m.StartedAt = timestamp(s.StartedAt)
	m.FinishedAt = timestamp(s.FinishedAt)
	m.UpdatedAt = timestamp(&s.UpdatedAt)
	return diags
}

// timestamp formats t as RFC 3339 in UTC; nil or zero gives null.
func timestamp(t *time.Time) types.String {
	if t == nil || t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// sortedNamesOf reads a set of API names in a stable order, so that the runner stores the
// same list whatever order Terraform gives the set in.
func sortedNamesOf[T ~string](ctx context.Context, v types.Set, diags *diag.Diagnostics) []T {
	out := namesOf[T](ctx, v, diags)
	slices.Sort(out)
	return out
}

// stringsOf reads a list or set of strings; null gives nil.
func stringsOf(ctx context.Context, v interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}, diags *diag.Diagnostics) []string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(v.ElementsAs(ctx, &out, false)...)
	return out
}

// namesOf reads a set or list of strings as API names of type T.
func namesOf[T ~string](ctx context.Context, v interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}, diags *diag.Diagnostics) []T {
	return toNames[T](stringsOf(ctx, v, diags))
}

// toNames converts strings to API names of type T; nil stays nil.
func toNames[T ~string](vals []string) []T {
	if vals == nil {
		return nil
	}
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = T(v)
	}
	return out
}

// fromNames converts API names to plain strings; nil stays nil.
func fromNames[T ~string](vals []T) []string {
	if vals == nil {
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

func setOf[T ~string](ctx context.Context, vals []T, diags *diag.Diagnostics) types.Set {
	v, d := types.SetValueFrom(ctx, types.StringType, fromNames(vals))
	diags.Append(d...)
	return v
}

// optionalList maps the API's empty list (absent) to null.
func optionalList(ctx context.Context, vals []string, diags *diag.Diagnostics) types.List {
	if len(vals) == 0 {
		return types.ListNull(types.StringType)
	}
	v, d := types.ListValueFrom(ctx, types.StringType, vals)
	diags.Append(d...)
	return v
}

// optionalSet maps the API's empty list (absent) to a null set.
func optionalSet[T ~string](ctx context.Context, vals []T, diags *diag.Diagnostics) types.Set {
	if len(vals) == 0 {
		return types.SetNull(types.StringType)
	}
	return setOf(ctx, vals, diags)
}

// optionalFloat maps the API's 0 (absent) to null.
func optionalFloat(v float64) types.Float64 {
	if v == 0 {
		return types.Float64Null()
	}
	return types.Float64Value(v)
}

// optionalInt maps the API's 0 (absent) to null.
func optionalInt(v int64) types.Int64 {
	if v == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(v)
}
