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
