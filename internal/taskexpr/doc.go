// Package taskexpr parses the expressions a task spec holds, without a database: a table's
// WHERE filter (ParseWhere) and its etl CEL expressions (CELSyntax, with the CEL libraries
// every etl expression may use). The provider and the runner's API check specs with it
// through taskrules; the engine's precheck, selection and etl use it directly.
//
// It imports nothing of the project (in particular not runner/api), so that the engine
// depends on it without depending on the API.
package taskexpr
