package taskrules

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

func validSpec() api.TaskSpec {
	return api.TaskSpec{
		SourceConnectionID: "conn-src", DestinationConnectionID: "conn-dst",
		MigrationTypes: []api.MigrationType{api.MigrationSchema, api.MigrationFull},
		Objects:        []api.Object{{Database: "shop", Tables: []api.Table{{Name: "orders"}, {Name: "items"}}}},
	}
}

// Each broken rule is a *FieldError naming the field as the API spells it, with a message
// that says what is wrong.
func TestValidate(t *testing.T) {
	if err := Validate(validSpec()); err != nil {
		t.Fatalf("a valid spec is refused: %v", err)
	}
	for _, c := range []struct {
		field, msg string
		change     func(*api.TaskSpec)
	}{
		{"source_connection_id", "is required", func(s *api.TaskSpec) { s.SourceConnectionID = "" }},
		{"migration_types", `"full" twice`, func(s *api.TaskSpec) { s.MigrationTypes = append(s.MigrationTypes, api.MigrationFull) }},
		{"objects[0].database", "checkpoints", func(s *api.TaskSpec) { s.Objects[0].RenameTo = vocab.MetaDatabase }},
		{"objects[1].database", `"shop" is selected by object blocks 0 and 1`, func(s *api.TaskSpec) {
			s.Objects = append(s.Objects, api.Object{Database: "shop"})
		}},
		{"objects[0].tables[1].name", `"orders" of database "shop" is selected by table blocks 0 and 1`, func(s *api.TaskSpec) { s.Objects[0].Tables[1].Name = "orders" }},
		{"instance_class", "is not one of", func(s *api.TaskSpec) { s.InstanceClass = "huge" }},
		{"retry_time_for_other_issues", "(720 minutes (the default))", func(s *api.TaskSpec) { s.RetryTimeForOtherIssues = 720 }},
		{"retry_time_for_failed_connections", "outside 10..1440", func(s *api.TaskSpec) { s.RetryTimeForFailedConnections = 9 }},
		{"objects[0].tables[0].table_type", "fact or dimension", func(s *api.TaskSpec) { s.Objects[0].Tables[0].TableType = "cube" }},
		{"objects[0].tables[0].partition_rule", "value, day, month or year", func(s *api.TaskSpec) { s.Objects[0].Tables[0].PartitionRule = "week" }},
		{"objects[0].tables[1].where", "subquery", func(s *api.TaskSpec) { s.Objects[0].Tables[1].Where = "id IN (SELECT id FROM other)" }},
		{"objects[0].tables[0].etl.set.total", "Syntax error", func(s *api.TaskSpec) {
			s.Objects[0].Tables[0].ETL = &api.ETL{Set: map[string]string{"total": "row.qty *"}}
		}},
		{"schema_objects", "needs schema migration", func(s *api.TaskSpec) {
			s.MigrationTypes = []api.MigrationType{api.MigrationFull}
			s.SchemaObjects = []api.SchemaObject{api.SchemaViews}
		}},
		{"schema_objects_definer", "is not one of", func(s *api.TaskSpec) { s.SchemaObjectsDefiner = "invoker" }},
		{"objects[0].tables[0].dml_operations", `"drop_column" is not one of`, func(s *api.TaskSpec) {
			s.Objects[0].Tables[0].DMLOperations = []api.Operation{api.DDLDropColumn}
		}},
	} {
		spec := validSpec()
		c.change(&spec)
		err := Validate(spec)
		fe, ok := errors.AsType[*FieldError](err)
		if !ok || fe.Field != c.field || !strings.Contains(fe.Message, c.msg) {
			t.Errorf("%s: got %v (%+v), want a FieldError on %s saying %q", c.field, err, fe, c.field, c.msg)
		}
	}
}

// InstanceClasses lists exactly the classes InstanceClassWorkers knows.
func TestInstanceClassesMatchWorkers(t *testing.T) {
	if len(api.InstanceClasses) != len(api.InstanceClassWorkers) {
		t.Fatalf("InstanceClasses %v, InstanceClassWorkers %v", api.InstanceClasses, api.InstanceClassWorkers)
	}
	for _, c := range api.InstanceClasses {
		if _, ok := api.InstanceClassWorkers[c]; !ok {
			t.Errorf("instance class %q has no workers", c)
		}
	}
}

// A spec that breaks several rules gets a FieldError for each, first the one the runner's
// API answers with.
func TestValidateReturnsEveryFieldError(t *testing.T) {
	spec := validSpec()
	spec.InstanceClass = "huge"
	spec.SchemaObjectsDefiner = "invoker"
	spec.Objects[0].Tables[1].Where = "id IN (SELECT id FROM other)"
	var fields []string
	for _, err := range Validate(spec).(interface{ Unwrap() []error }).Unwrap() {
		fe, ok := errors.AsType[*FieldError](err)
		if !ok {
			t.Fatalf("%v is not a *FieldError", err)
		}
		fields = append(fields, fe.Field)
	}
	if want := []string{"instance_class", "schema_objects_definer", "objects[0].tables[1].where"}; !slices.Equal(fields, want) {
		t.Errorf("Validate names %v, want %v", fields, want)
	}
	if fe, _ := errors.AsType[*FieldError](Validate(spec)); fe.Field != "instance_class" {
		t.Errorf("the first FieldError is on %s, want instance_class", fe.Field)
	}
}

// fieldErrors returns every *FieldError err joins.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []*FieldError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		fe, ok := errors.AsType[*FieldError](e)
		if !ok {
			t.Fatalf("%v is not a *FieldError", e)
		}
		out = append(out, fe)
	}
	return out
}

// Each rule across fields is a FieldError on the field to change, naming the rule and the
// other fields it reads, with a message that says what is wrong and how to fix it. It is
// the only FieldError of a spec that breaks nothing else.
func TestValidateRulesAcrossFields(t *testing.T) {
	incremental := func(s *api.TaskSpec) { s.MigrationTypes = append(s.MigrationTypes, api.MigrationIncremental) }
	table := func(s *api.TaskSpec) *api.Table { return &s.Objects[0].Tables[0] }
	for _, c := range []struct {
		rule, field string
		reads       []string
		msg         string
		change      func(*api.TaskSpec)
	}{
		{"Merge Tables Needs a Task Without Incremental Migration", "merge_tables", []string{"migration_types"},
			`Remove "incremental" from migration_types, or set merge_tables = false`,
			func(s *api.TaskSpec) { incremental(s); s.MergeTables = true }},
		{"Setting Needs Incremental Migration", "dml_operations", []string{"migration_types"},
			`dml_operations applies only to incremental migration, and migration_types does not include "incremental". Add "incremental" to migration_types, or remove dml_operations`,
			func(s *api.TaskSpec) { s.DMLOperations = []api.Operation{api.DMLInsert} }},
		{"Setting Needs Incremental Migration", "ddl_operations", []string{"migration_types"}, "or remove ddl_operations",
			func(s *api.TaskSpec) { s.DDLOperations = []api.Operation{api.DDLModifyColumn} }},
		{"Setting Needs Incremental Migration", "incremental_throttling", []string{"migration_types"}, "or remove incremental_throttling",
			func(s *api.TaskSpec) { s.IncrementalThrottling = &api.Throttling{RPS: 100} }},
		{"Setting Needs Incremental Migration", "objects[0].tables[0].dml_operations", []string{"migration_types"}, "the table's dml_operations applies only",
			func(s *api.TaskSpec) { table(s).DMLOperations = []api.Operation{api.DMLDelete} }},
		{"Setting Needs Incremental Migration", "objects[0].tables[0].ddl_operations", []string{"migration_types"}, "or remove the table's ddl_operations",
			func(s *api.TaskSpec) { table(s).DDLOperations = []api.Operation{api.DDLDropColumn} }},
		{"Setting Needs Full Migration", "full_throttling", []string{"migration_types"},
			`migration_types does not include "full". Add "full" to migration_types, or remove the full_throttling block`,
			func(s *api.TaskSpec) {
				s.MigrationTypes = []api.MigrationType{api.MigrationSchema, api.MigrationIncremental}
				s.FullThrottling = &api.Throttling{RPS: 100}
			}},
		{"Setting Needs Schema Migration", "schema_objects", []string{"migration_types"}, `schema_objects needs schema migration: add "schema" to migration_types`,
			func(s *api.TaskSpec) {
				s.MigrationTypes = []api.MigrationType{api.MigrationFull}
				s.SchemaObjects = []api.SchemaObject{api.SchemaViews}
			}},
		{"Retry Time for Other Issues Too Long", "retry_time_for_other_issues", []string{"retry_time_for_failed_connections"},
			"(30 minutes) must be lower than retry_time_for_failed_connections (30 minutes). Lower retry_time_for_other_issues or raise",
			func(s *api.TaskSpec) { s.RetryTimeForFailedConnections, s.RetryTimeForOtherIssues = 30, 30 }},
		{"Database Selected Twice", "objects[1].database", []string{"objects[0].database"}, `database "shop" is selected by object blocks 0 and 1: merge them`,
			func(s *api.TaskSpec) { s.Objects = append(s.Objects, api.Object{Database: "shop"}) }},
		{"Table Selected Twice", "objects[0].tables[1].name", []string{"objects[0].tables[0].name"}, `table "orders" of database "shop" is selected by table blocks 0 and 1`,
			func(s *api.TaskSpec) { s.Objects[0].Tables[1].Name = "orders" }},
		{"Partition Rule Without Partition Key", "objects[0].tables[0].partition_rule", []string{"objects[0].tables[0].partition_key"},
			"the table has no partition_key. Set partition_key or remove partition_rule",
			func(s *api.TaskSpec) { table(s).PartitionRule = api.PartitionRule("month") }},
		{"Partition Lifecycle Without Partition Key", "objects[0].tables[0].partition_lifecycle", []string{"objects[0].tables[0].partition_key"},
			"Set partition_key or remove partition_lifecycle",
			func(s *api.TaskSpec) { table(s).PartitionLifecycle = 30 }},
		{"Dimension Table With Distribution Key", "objects[0].tables[0].distribution_key", []string{"objects[0].tables[0].table_type"},
			`a dimension table is copied to every node and has no distribution key. Remove distribution_key or set table_type = "fact"`,
			func(s *api.TaskSpec) {
				table(s).TableType, table(s).DistributionKey = api.TableDimension, []string{"id"}
			}},
		{"Composite Primary Key Misses Key Columns", "objects[0].tables[0].primary_key",
			[]string{"objects[0].tables[0].distribution_key", "objects[0].tables[0].partition_key"},
			"the composite primary key (id, day) must include every distribution_key column and the partition_key, as AnalyticDB requires; it lacks customer_id. Add them to primary_key",
			func(s *api.TaskSpec) {
				table(s).PrimaryKey, table(s).DistributionKey = []string{"id", "day"}, []string{"customer_id"}
			}},
		{"Composite Primary Key Misses Key Columns", "objects[0].tables[0].primary_key",
			[]string{"objects[0].tables[0].distribution_key", "objects[0].tables[0].partition_key"}, "it lacks day. Add",
			func(s *api.TaskSpec) {
				table(s).PrimaryKey, table(s).DistributionKey, table(s).PartitionKey = []string{"id", "customer_id"}, []string{"CUSTOMER_ID"}, "day"
			}},
		{"Missing Sample Percentage", "data_verification.sample_percent", []string{"data_verification.mode"},
			`verification checks a share of the chunks: set sample_percent (1..100), or use mode = "full"`,
			func(s *api.TaskSpec) { s.DataVerification = &api.DataVerification{Mode: api.VerifySampled} }},
		{"Sample Percentage Without Sampling", "data_verification.sample_percent", []string{"data_verification.mode"},
			`sample_percent applies only to mode = "sampled", and mode is "full". Remove sample_percent or set mode = "sampled"`,
			func(s *api.TaskSpec) {
				s.DataVerification = &api.DataVerification{Mode: api.VerifyFull, SamplePercent: 10}
			}},
		{"Sample Percentage Without Sampling", "data_verification.sample_percent", []string{"data_verification.mode"}, `and mode is "none"`,
			func(s *api.TaskSpec) { s.DataVerification = &api.DataVerification{SamplePercent: 10} }},
		{"Repair Without Verification", "data_verification.repair", []string{"data_verification.mode"},
			`repair rewrites the rows that verification finds different, and mode is "none". Set mode to "full" or "sampled", or remove repair`,
			func(s *api.TaskSpec) { s.DataVerification = &api.DataVerification{Repair: true} }},
	} {
		spec := validSpec()
		c.change(&spec)
		fes := fieldErrors(t, Validate(spec))
		if len(fes) != 1 {
			t.Errorf("%s on %s: Validate returns %d FieldErrors %v, want 1", c.rule, c.field, len(fes), fes)
			continue
		}
		fe := fes[0]
		if fe.Rule != c.rule || fe.Field != c.field || !slices.Equal(fe.Reads, c.reads) || !strings.Contains(fe.Message, c.msg) {
			t.Errorf("got %+v, want rule %q on %s reading %v, saying %q", *fe, c.rule, c.field, c.reads, c.msg)
		}
	}
}

// TestValidateAcceptsDefaultOperationsWithoutIncremental: earlier providers sent the default
// operations with every task, full-only ones too; the runner keeps accepting them.
func TestValidateAcceptsDefaultOperationsWithoutIncremental(t *testing.T) {
	s := validSpec()
	s.DMLOperations = []api.Operation{api.DMLDelete, api.DMLInsert, api.DMLUpdate}
	s.DDLOperations = []api.Operation{api.DDLDropColumn, api.DDLAddColumn}
	if err := Validate(s); err != nil {
		t.Fatalf("a full-only task with the default operations is refused: %v", err)
	}
	s.DDLOperations = append(s.DDLOperations, api.DDLAddIndex)
	if err := Validate(s); err == nil || !strings.Contains(err.Error(), "ddl_operations applies only to incremental migration") {
		t.Fatalf("a full-only task with other than the default DDL operations: got %v, want the needs-incremental error", err)
	}
}

// The settings of another migration type are allowed with that type, and an empty list of
// operations names none: the spec a client sends for a task without incremental migration
// may carry it.
func TestValidateSettingsWithTheirMigrationType(t *testing.T) {
	spec := validSpec()
	spec.MigrationTypes = append(spec.MigrationTypes, api.MigrationIncremental)
	spec.DMLOperations, spec.DDLOperations = api.DMLOperations, api.DDLOperations
	spec.IncrementalThrottling, spec.FullThrottling = &api.Throttling{RPS: 10}, &api.Throttling{RPS: 10}
	spec.Objects[0].Tables[0].DMLOperations = []api.Operation{api.DMLInsert}
	spec.Objects[0].Tables[0].PrimaryKey = []string{"id", "Day"}
	spec.Objects[0].Tables[0].DistributionKey = []string{"ID"}
	spec.Objects[0].Tables[0].PartitionKey = "day"
	spec.Objects[0].Tables[0].PartitionRule = api.PartitionRule("day")
	spec.DataVerification = &api.DataVerification{Mode: api.VerifySampled, SamplePercent: 5, Repair: true}
	if err := Validate(spec); err != nil {
		t.Errorf("a valid incremental task is refused: %v", err)
	}
	full := validSpec()
	full.DMLOperations, full.DDLOperations = []api.Operation{}, []api.Operation{}
	if err := Validate(full); err != nil {
		t.Errorf("a full task with empty operations is refused: %v", err)
	}
}

// A table block reports every rule it breaks, not only the first, so the provider can show
// a rule across fields next to a bad value the attribute's own validator reports.
func TestValidateTableReportsEveryRule(t *testing.T) {
	spec := validSpec()
	tb := &spec.Objects[0].Tables[0]
	tb.Where = "id IN (SELECT id FROM other)"
	tb.PartitionRule = "month"
	var got []string
	for _, fe := range fieldErrors(t, Validate(spec)) {
		got = append(got, fe.Field+" "+fe.Rule)
	}
	want := []string{"objects[0].tables[0].where ", "objects[0].tables[0].partition_rule Partition Rule Without Partition Key"}
	if !slices.Equal(got, want) {
		t.Errorf("Validate reports %q, want %q", got, want)
	}
}
