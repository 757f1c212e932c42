package scheduler

import (
	"slices"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// names lists values as strings, for comparing the lists of two types.
func names[T ~string](vals ...T) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// Every value the API accepts reaches the engine, through engineTask, as a value the
// engine names; and every value the engine reports back (phases, verification statuses)
// is one the API names. The engine's values are listed here from the engine's own
// constants, so a copy of the vocabulary that drifts from the API's fails this test.
func TestVocabularyMapsAPIToEngine(t *testing.T) {
	h := newHarness(t, nil, Options{})
	task := func(change func(*api.TaskSpec)) engine.Task {
		t.Helper()
		spec := api.TaskSpec{SourceConnectionID: "conn-src", DestinationConnectionID: "conn-dst",
			MigrationTypes: api.MigrationTypes, Objects: []api.Object{{Database: "shop"}}}
		change(&spec)
		et, err := h.s.engineTask(api.Task{ID: "task-1", TaskSpec: spec})
		if err != nil {
			t.Fatal(err)
		}
		return et
	}
	var conflicts, modes []string
	for _, c := range api.ConflictHandlings {
		conflicts = append(conflicts, names(task(func(s *api.TaskSpec) { s.ConflictHandling = c }).ConflictHandling)...)
	}
	for _, m := range api.VerificationModes {
		modes = append(modes, names(task(func(s *api.TaskSpec) { s.DataVerification = &api.DataVerification{Mode: m} }).Verification.Mode)...)
	}
	all := task(func(s *api.TaskSpec) {
		s.SchemaObjects = api.SchemaObjectKinds
		s.DMLOperations, s.DDLOperations = api.DMLOperations, api.DDLOperations
	})
	var verified []string
	for _, st := range []engine.VerificationStatus{engine.VerificationRunning, engine.VerificationPassed, engine.VerificationMismatched, engine.VerificationRepaired} {
		verified = append(verified, names(verificationOutcome(&engine.VerificationProgress{Status: st}).Status)...)
	}
	var phaseStatuses []string
	for _, p := range []engine.Phase{engine.PhasePrecheck, engine.PhaseSchema, engine.PhaseFull, engine.PhaseIncremental} {
		st, ok := vocab.StatusOf(p)
		if back, _ := vocab.PhaseOf(st); !ok || back != p {
			t.Errorf("engine phase %q: status %q (%v), which maps back to phase %q", p, st, ok, back)
		}
		phaseStatuses = append(phaseStatuses, names(st)...)
	}
	for _, c := range []struct {
		what              string
		got, engine, wire []string
	}{
		{"migration_types", names(all.MigrationTypes...),
			names(engine.MigrationSchema, engine.MigrationFull, engine.MigrationIncremental), names(api.MigrationTypes...)},
		{"schema_objects", names(all.SchemaObjects...),
			names(engine.ObjectViews, engine.ObjectRoutines, engine.ObjectTriggers, engine.ObjectEvents), names(api.SchemaObjectKinds...)},
		{"conflict_handling", conflicts, names(engine.ConflictReport, engine.ConflictIgnore), names(api.ConflictHandlings...)},
		{"data_verification.mode", modes, names(engine.VerifyNone, engine.VerifyFull, engine.VerifySampled), names(api.VerificationModes...)},
		{"dml_operations", names(all.DMLOperations...), names(vocab.DMLOrDefault(nil)...), names(api.DMLOperations...)},
		{"ddl_operations", names(all.DDLOperations...), names(vocab.DDLOperations...), names(api.DDLOperations...)},
		// Back: what the engine reports, in the API's words.
		{"verification.status", verified,
			names(api.VerificationRunning, api.VerificationPassed, api.VerificationMismatched, api.VerificationRepaired),
			names(engine.VerificationRunning, engine.VerificationPassed, engine.VerificationMismatched, engine.VerificationRepaired)},
		{"status of each phase", phaseStatuses,
			names(api.StatusPrechecking, api.StatusSchemaMigrating, api.StatusFullMigrating, api.StatusRunning),
			names(api.StatusPrechecking, api.StatusSchemaMigrating, api.StatusFullMigrating, api.StatusRunning)},
	} {
		if !slices.Equal(c.got, c.engine) || !slices.Equal(c.got, c.wire) {
			t.Errorf("%s: mapped to %q; the engine names %q, the API %q", c.what, c.got, c.engine, c.wire)
		}
	}
	for _, st := range api.Statuses {
		if p, ok := vocab.PhaseOf(st); ok && !slices.Contains(vocab.Phases, p) {
			t.Errorf("status %q maps to phase %q, which the engine does not run", st, p)
		}
	}
}
