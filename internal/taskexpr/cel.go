package taskexpr

import (
	"errors"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// CELLibraries are the CEL extension libraries every etl expression may use: strings, math
// and encoders. The engine's etl package builds its environment on them; CELSyntax parses
// with them, because a library's macros (math.greatest, math.least) are part of the syntax.
func CELLibraries() []cel.EnvOption {
	return []cel.EnvOption{ext.Strings(), ext.Math(), ext.Encoders()}
}

// CELSyntax checks that expr parses as an etl expression, without knowing the table: the
// check terraform plan and the runner's API can make. Whether the expression fits the
// table's columns is the precheck's to say (item etl_expressions). The error gives the line
// and column of the mistake.
func CELSyntax(expr string) error {
	env, err := cel.NewEnv(CELLibraries()...)
	if err != nil {
		return err
	}
	if strings.TrimSpace(expr) == "" {
		return errors.New("the expression is empty")
	}
	if _, iss := env.Parse(expr); iss.Err() != nil {
		return errors.New(CELIssues(iss))
	}
	return nil
}

// CELIssues renders CEL issues without the "<input>" source name.
func CELIssues(iss *cel.Issues) string {
	return strings.ReplaceAll(strings.TrimSpace(iss.String()), "<input>:", "at ")
}
