// Package taskrules holds the rules a migration task's spec must follow that need no
// database: one rule set, used by the provider at plan time and by the runner's API before
// it stores a task. Validate checks a whole spec; the expressions in it are parsed by
// internal/taskexpr, and the names it checks against (precheck items, instance classes, the
// checkpoint database) are internal/vocab's.
//
// It imports the API's types, taskexpr and vocab, and nothing that talks to a database or
// belongs to the engine or the runner, so that the provider can use it without linking
// either. The engine does not import it (it uses taskexpr and vocab), so the engine does not
// depend on runner/api.
package taskrules

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskexpr"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// FieldError is a rule a task spec breaks. Field is the path of the offending field in the
// API's JSON, such as objects[0].tables[1].etl.set.total; Message says what is wrong and,
// for a rule across fields, how to fix it.
//
// A rule on one field's value leaves Rule and Reads empty: the provider checks those with
// its attributes' own validators. A rule across fields names itself in Rule, in Title Case
// ("Setting Needs Incremental Migration"), and lists in Reads the other fields it reads,
// so that a caller that does not know every value yet (the provider at plan time) can
// leave out a rule that read one it does not know.
type FieldError struct {
	Field   string
	Message string
	Rule    string
	Reads   []string
}

func (e *FieldError) Error() string { return e.Message }

func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// crossFieldError is the FieldError of rule, a rule across field and reads.
func crossFieldError(rule, field string, reads []string, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...), Rule: rule, Reads: reads}
}

// Validate checks a task spec's fields and returns nil, or every rule the spec breaks: an
// errors.Join of *FieldError in the order the fields are checked (errors.As finds the
// first), a field's own value checked before the rules across it and other fields. Callers
// that answer with one error, like the runner's API, use the first; the provider shows the
// rules across fields on their attributes. Whether the connections it names exist is for
// the caller, which knows them; what the source and destination hold is for the precheck.
//
// Validate is for a spec on its way in (create and update): a task stored by an older
// runner, under older rules, is not checked again when it is loaded or run.
func Validate(t api.TaskSpec) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	for _, f := range []struct{ field, id string }{
		{"source_connection_id", t.SourceConnectionID},
		{"destination_connection_id", t.DestinationConnectionID},
	} {
		if f.id == "" {
			add(fieldError(f.field, "%s is required", f.field))
		}
	}
	if len(t.MigrationTypes) == 0 {
		add(fieldError("migration_types", "migration_types is empty: choose from %v", api.MigrationTypes))
	}
	for i, mt := range t.MigrationTypes {
		if !slices.Contains(api.MigrationTypes, mt) {
			add(fieldError("migration_types", "migration_types[%d] %q is not one of %v", i, mt, api.MigrationTypes))
		}
		if slices.Contains(t.MigrationTypes[:i], mt) {
			add(fieldError("migration_types", "migration_types lists %q twice", mt))
		}
	}
	if len(t.Objects) == 0 {
		add(fieldError("objects", "objects is empty: select at least one database"))
	}
	for i, o := range t.Objects {
		field := fmt.Sprintf("objects[%d].database", i)
		switch {
		case o.Database == "":
			add(fieldError(field, "%s is required", field))
		case o.Database == vocab.MetaDatabase || o.RenameTo == vocab.MetaDatabase:
			add(fieldError(field, "database %s holds the runner's checkpoints and cannot be migrated", vocab.MetaDatabase))
		}
		for j, tb := range o.Tables {
			if tb.Name == "" {
				tf := fmt.Sprintf("objects[%d].tables[%d].name", i, j)
				add(fieldError(tf, "%s is required", tf))
			}
		}
	}
	add(SelectedOnce(t.Objects))
	switch t.DesiredStatus {
	case "", api.DesiredRunning, api.DesiredStopped:
	default:
		add(fieldError("desired_status", "desired_status %q is not running or stopped", t.DesiredStatus))
	}
	switch t.ConflictHandling {
	case "", api.ConflictReport, api.ConflictIgnore:
	default:
		add(fieldError("conflict_handling", "conflict_handling %q is not %s or %s", t.ConflictHandling, api.ConflictReport, api.ConflictIgnore))
	}
	if t.InstanceClass != "" && !slices.Contains(api.InstanceClasses, t.InstanceClass) {
		add(fieldError("instance_class", "instance_class %q is not one of %s", t.InstanceClass, strings.Join(vocab.InstanceClasses, ", ")))
	}
	if t.MergeTables && slices.Contains(t.MigrationTypes, api.MigrationIncremental) {
		add(crossFieldError("Merge Tables Needs a Task Without Incremental Migration", "merge_tables", []string{"migration_types"},
			"merge_tables = true writes every selected table into one destination table, which only a schema and full migration can do. "+
				"Remove %q from migration_types, or set merge_tables = false (or create a separate task for the merged tables)", api.MigrationIncremental))
	}
	if th := t.FullThrottling; th != nil && (th.SourceQPS < 0 || th.RPS < 0 || th.MBPS < 0) {
		add(fieldError("full_throttling", "full_throttling rates must not be negative"))
	}
	if th := t.IncrementalThrottling; th != nil {
		if th.SourceQPS != 0 {
			add(fieldError("incremental_throttling.source_qps", "incremental_throttling has no source_qps: incremental migration reads the binlog, not tables"))
		}
		if th.RPS < 0 || th.MBPS < 0 {
			add(fieldError("incremental_throttling", "incremental_throttling rates must not be negative"))
		}
	}
	add(Operations("dml_operations", t.DMLOperations, api.DMLOperations))
	add(Operations("ddl_operations", t.DDLOperations, api.DDLOperations))
	for _, err := range typeSpecific(t) {
		add(err)
	}
	if err := RetryTimesInRange(t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues); err != nil {
		add(err) // their order means nothing while one is out of range
	} else {
		add(RetryTimesOrdered(t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues))
	}
	if m := t.Monitoring; m != nil {
		if m.LatencyThresholdSeconds < 0 {
			add(fieldError("monitoring.latency_threshold_seconds", "monitoring.latency_threshold_seconds must be 1 or more (0 for no latency alert), not %d", m.LatencyThresholdSeconds))
		}
		if m.WebhookURL != "" && !HTTPURL(m.WebhookURL) {
			add(fieldError("monitoring.webhook_url", "monitoring.webhook_url %q is not an http(s) URL", m.WebhookURL))
		}
	}
	if v := t.DataVerification; v != nil {
		add(dataVerification(*v))
	}
	add(SchemaObjects(t.MigrationTypes, t.SchemaObjects))
	if d := t.SchemaObjectsDefiner; d != "" && !slices.Contains(api.Definers, d) {
		add(fieldError("schema_objects_definer", "schema_objects_definer %q is not one of %v", d, api.Definers))
	}
	incremental := slices.Contains(t.MigrationTypes, api.MigrationIncremental)
	for i, o := range t.Objects {
		for j, tb := range o.Tables {
			for _, err := range validateTable(fmt.Sprintf("objects[%d].tables[%d]", i, j), tb, incremental) {
				add(err)
			}
		}
	}
	return errors.Join(errs...)
}

// needsIncremental is the error of setting field, whose name users read as name, on a task
// without incremental migration.
func needsIncremental(field, name string) error {
	return crossFieldError("Setting Needs Incremental Migration", field, []string{"migration_types"},
		"%s applies only to incremental migration, and migration_types does not include %q. Add %q to migration_types, or remove %s",
		name, api.MigrationIncremental, api.MigrationIncremental, name)
}

// typeSpecific refuses the task-level settings that its migration types would ignore:
// operations and incremental_throttling without incremental migration, full_throttling
// without full. Operations count as set when they name any other than their default: an
// empty list names none, and earlier providers sent the defaults with every task, so a
// full-only task they create names exactly the defaults and is accepted.
func typeSpecific(t api.TaskSpec) []error {
	var errs []error
	if !slices.Contains(t.MigrationTypes, api.MigrationIncremental) {
		if len(t.DMLOperations) > 0 && !sameOperations(t.DMLOperations, vocab.DMLOperations) {
			errs = append(errs, needsIncremental("dml_operations", "dml_operations"))
		}
		if len(t.DDLOperations) > 0 && !sameOperations(t.DDLOperations, vocab.DefaultDDLOperations) {
			errs = append(errs, needsIncremental("ddl_operations", "ddl_operations"))
		}
		if t.IncrementalThrottling != nil {
			errs = append(errs, needsIncremental("incremental_throttling", "incremental_throttling"))
		}
	}
	if t.FullThrottling != nil && !slices.Contains(t.MigrationTypes, api.MigrationFull) {
		errs = append(errs, crossFieldError("Setting Needs Full Migration", "full_throttling", []string{"migration_types"},
			"full_throttling limits the full data migration, and migration_types does not include %q. Add %q to migration_types, or remove the full_throttling block",
			api.MigrationFull, api.MigrationFull))
	}
	return errs
}

// dataVerification checks that sample_percent comes with, and only with, the sampled
// mode, and that repair has something to repair. An empty mode is none.
func dataVerification(v api.DataVerification) error {
	const (
		modeField    = "data_verification.mode"
		percentField = "data_verification.sample_percent"
	)
	mode := cmp.Or(v.Mode, api.VerifyNone)
	switch mode {
	case api.VerifyNone, api.VerifyFull:
		if v.SamplePercent != 0 {
			return crossFieldError("Sample Percentage Without Sampling", percentField, []string{modeField},
				"sample_percent applies only to mode = %q, and mode is %q. Remove sample_percent or set mode = %q", api.VerifySampled, mode, api.VerifySampled)
		}
	case api.VerifySampled:
		if v.SamplePercent == 0 {
			return crossFieldError("Missing Sample Percentage", percentField, []string{modeField},
				"with mode = %q, verification checks a share of the chunks: set sample_percent (1..100), or use mode = %q", api.VerifySampled, api.VerifyFull)
		}
		if v.SamplePercent < 1 || v.SamplePercent > 100 {
			return fieldError(percentField, "%s %d is outside 1..100", percentField, v.SamplePercent)
		}
	default:
		return fieldError(modeField, "%s %q is not one of %s, %s, %s", modeField, v.Mode, api.VerifyNone, api.VerifyFull, api.VerifySampled)
	}
	if v.Repair && mode == api.VerifyNone {
		return crossFieldError("Repair Without Verification", "data_verification.repair", []string{modeField},
			"repair rewrites the rows that verification finds different, and mode is %q. Set mode to %q or %q, or remove repair",
			api.VerifyNone, api.VerifyFull, api.VerifySampled)
	}
	return nil
}

// SelectedOnce refuses a database selected by two objects, and a table selected twice
// within one object. Objects and tables with an empty name are skipped: whether a name is
// required is another rule's to say.
func SelectedOnce(objects []api.Object) error {
	databases := map[string]int{}
	for i, o := range objects {
		if o.Database == "" {
			continue
		}
		if first, ok := databases[o.Database]; ok {
			return crossFieldError("Database Selected Twice", fmt.Sprintf("objects[%d].database", i), []string{fmt.Sprintf("objects[%d].database", first)},
				"database %q is selected by object blocks %d and %d: merge them into one object block, with a table block for each table", o.Database, first, i)
		}
		databases[o.Database] = i
		tables := map[string]int{}
		for j, tb := range o.Tables {
			if tb.Name == "" {
				continue
			}
			if first, ok := tables[tb.Name]; ok {
				return crossFieldError("Table Selected Twice", fmt.Sprintf("objects[%d].tables[%d].name", i, j),
					[]string{fmt.Sprintf("objects[%d].tables[%d].name", i, first)},
					"table %q of database %q is selected by table blocks %d and %d: keep one table block for it", tb.Name, o.Database, first, j)
			}
			tables[tb.Name] = j
		}
	}
	return nil
}

// SchemaObjects checks that kinds names distinct schema object kinds, and that a task
// migrating any has schema migration among its migrationTypes.
func SchemaObjects(migrationTypes []api.MigrationType, kinds []api.SchemaObject) error {
	for i, k := range kinds {
		if !slices.Contains(api.SchemaObjectKinds, k) || slices.Contains(kinds[:i], k) {
			return fieldError("schema_objects", "schema_objects[%d] %q is not one of %v, or is listed twice", i, k, api.SchemaObjectKinds)
		}
	}
	if len(kinds) > 0 && !slices.Contains(migrationTypes, api.MigrationSchema) {
		return crossFieldError("Setting Needs Schema Migration", "schema_objects", []string{"migration_types"},
			"schema_objects needs schema migration: add %q to migration_types", api.MigrationSchema)
	}
	return nil
}

// HTTPURL reports whether s is an absolute http or https URL.
func HTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Operations checks that ops, the value of field, names distinct members of allowed.
func Operations(field string, ops, allowed []api.Operation) error {
	for k, op := range ops {
		if !slices.Contains(allowed, op) {
			return fieldError(field, "%s[%d] %q is not one of %v", field, k, op, allowed)
		}
		if slices.Contains(ops[:k], op) {
			return fieldError(field, "%s lists %q twice", field, op)
		}
	}
	return nil
}

// RetryTimesInRange checks each retry window, in minutes, against its range; 0 stands for
// the default.
func RetryTimesInRange(conn, other int) error {
	if conn != 0 && (conn < api.MinRetryTimeForFailedConnections || conn > api.MaxRetryTime) {
		return fieldError("retry_time_for_failed_connections", "retry_time_for_failed_connections %d is outside %d..%d minutes",
			conn, api.MinRetryTimeForFailedConnections, api.MaxRetryTime)
	}
	if other != 0 && (other < api.MinRetryTimeForOtherIssues || other > api.MaxRetryTime) {
		return fieldError("retry_time_for_other_issues", "retry_time_for_other_issues %d is outside %d..%d minutes",
			other, api.MinRetryTimeForOtherIssues, api.MaxRetryTime)
	}
	return nil
}

// RetryTimesOrdered checks that other issues are retried for less time than lost
// connections; 0 stands for the default.
func RetryTimesOrdered(conn, other int) error {
	connDefault := ""
	if conn == 0 {
		conn, connDefault = api.DefaultRetryTimeForFailedConnections, " (the default)"
	}
	if other == 0 {
		other = api.DefaultRetryTimeForOtherIssues
	}
	if other >= conn {
		return crossFieldError("Retry Time for Other Issues Too Long", "retry_time_for_other_issues", []string{"retry_time_for_failed_connections"},
			"retry_time_for_other_issues (%d minutes) must be lower than retry_time_for_failed_connections (%d minutes%s). "+
				"Lower retry_time_for_other_issues or raise retry_time_for_failed_connections", other, conn, connDefault)
	}
	return nil
}

// validateTable checks one table block's fields, field being its path, and returns every
// rule the block breaks; incremental says whether the task has incremental migration.
func validateTable(field string, tb api.Table, incremental bool) []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if tb.TableType != "" && !slices.Contains(api.TableTypes, tb.TableType) {
		add(fieldError(field+".table_type", "table_type %q is not fact or dimension", tb.TableType))
	}
	if tb.PartitionRule != "" && !slices.Contains(api.PartitionRules, tb.PartitionRule) {
		add(fieldError(field+".partition_rule", "partition_rule %q is not value, day, month or year", tb.PartitionRule))
	}
	if tb.PartitionLifecycle < 0 {
		add(fieldError(field+".partition_lifecycle", "partition_lifecycle must be 1 or more"))
	}
	if _, err := taskexpr.ParseWhere(tb.Where); err != nil {
		add(fieldError(field+".where", "where %q cannot be used: %v", tb.Where, err))
	}
	seen := map[string]bool{}
	for k, c := range tb.Columns {
		if c == "" || seen[c] {
			add(fieldError(fmt.Sprintf("%s.columns[%d]", field, k), "columns must name distinct source columns"))
			break
		}
		seen[c] = true
	}
	add(Operations(field+".dml_operations", tb.DMLOperations, api.DMLOperations))
	add(Operations(field+".ddl_operations", tb.DDLOperations, api.DDLOperations))
	if !incremental {
		if len(tb.DMLOperations) > 0 {
			add(needsIncremental(field+".dml_operations", "the table's dml_operations"))
		}
		if len(tb.DDLOperations) > 0 {
			add(needsIncremental(field+".ddl_operations", "the table's ddl_operations"))
		}
	}
	renamed := map[string]bool{}
	for k, cr := range tb.ColumnRenames {
		if cr.Name == "" || cr.RenameTo == "" || renamed[cr.Name] {
			add(fieldError(fmt.Sprintf("%s.column_renames[%d]", field, k), "each column block needs a distinct name and a rename_to"))
			break
		}
		renamed[cr.Name] = true
	}
	for _, err := range destinationFields(field, tb) {
		add(err)
	}
	if tb.ETL != nil {
		add(validateETL(field+".etl", *tb.ETL))
	}
	return errs
}

// destinationFields checks a table's destination fields the way AnalyticDB does: partition
// settings need a partition key, a dimension table has no distribution key, and a composite
// primary key includes every distribution key column and the partition key (column names
// compared without case, as MySQL does). Whether the columns exist is the precheck's to say.
func destinationFields(field string, tb api.Table) []error {
	var errs []error
	partitionKey := []string{field + ".partition_key"}
	if tb.PartitionKey == "" {
		if tb.PartitionRule != "" {
			errs = append(errs, crossFieldError("Partition Rule Without Partition Key", field+".partition_rule", partitionKey,
				"partition_rule says how partition_key becomes a partition value, and the table has no partition_key. Set partition_key or remove partition_rule"))
		}
		if tb.PartitionLifecycle != 0 {
			errs = append(errs, crossFieldError("Partition Lifecycle Without Partition Key", field+".partition_lifecycle", partitionKey,
				"partition_lifecycle says how many partitions to keep, and the table has no partition_key. Set partition_key or remove partition_lifecycle"))
		}
	}
	if tb.TableType == api.TableDimension && len(tb.DistributionKey) > 0 {
		errs = append(errs, crossFieldError("Dimension Table With Distribution Key", field+".distribution_key", []string{field + ".table_type"},
			"a dimension table is copied to every node and has no distribution key. Remove distribution_key or set table_type = %q", api.TableFact))
	}
	if len(tb.PrimaryKey) < 2 {
		return errs
	}
	var lack []string
	for _, c := range tb.DistributionKey {
		if !containsFold(tb.PrimaryKey, c) {
			lack = append(lack, c)
		}
	}
	if tb.PartitionKey != "" && !containsFold(tb.PrimaryKey, tb.PartitionKey) {
		lack = append(lack, tb.PartitionKey)
	}
	if len(lack) > 0 {
		errs = append(errs, crossFieldError("Composite Primary Key Misses Key Columns", field+".primary_key",
			[]string{field + ".distribution_key", field + ".partition_key"},
			"the composite primary key (%s) must include every distribution_key column and the partition_key, as AnalyticDB requires; it lacks %s. Add them to primary_key",
			strings.Join(tb.PrimaryKey, ", "), strings.Join(lack, ", ")))
	}
	return errs
}

// containsFold reports whether names holds name, ignoring case as MySQL does for columns.
func containsFold(names []string, name string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
}

// validateETL checks an etl block's expressions parse; whether they fit the table's columns
// is the precheck's to say.
func validateETL(field string, e api.ETL) error {
	if e.Filter != "" {
		if err := taskexpr.CELSyntax(e.Filter); err != nil {
			return fieldError(field+".filter", "filter %q is not a CEL expression: %v", e.Filter, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Set)) {
		if name == "" {
			return fieldError(field+".set", "set needs destination column names")
		}
		if err := taskexpr.CELSyntax(e.Set[name]); err != nil {
			return fieldError(field+".set."+name, "set.%s = %q is not a CEL expression: %v", name, e.Set[name], err)
		}
	}
	seen := map[string]bool{}
	for k, c := range e.DropColumns {
		if c == "" || seen[c] {
			return fieldError(fmt.Sprintf("%s.drop_columns[%d]", field, k), "drop_columns must name distinct source columns")
		}
		seen[c] = true
	}
	return nil
}

// sameOperations reports whether a and b name the same operations, in any order.
func sameOperations(a, b []api.Operation) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
