package precheck

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

type conflictCheck struct{ e *env }

func (conflictCheck) Name() string { return DestinationConflict }

func (c conflictCheck) Check(ctx context.Context) Result {
	in := c.e.in
	if err := c.e.src.reach(ctx); err != nil {
		return c.e.src.unreachable(err)
	}
	if err := c.e.dst.reach(ctx); err != nil {
		return c.e.dst.unreachable(err)
	}
	src, err := c.e.sourceCatalog(ctx)
	if err != nil {
		return queryFailed(c.e.src, "list the source tables", err)
	}
	dst, err := c.e.destCatalog(ctx)
	if err != nil {
		return queryFailed(c.e.dst, "list the destination tables", err)
	}
	var existing, missing, differ, remedies []string
	var duplicates []string
	seen := map[string]string{} // lower-case destination name -> source table
	for _, t := range in.Tables {
		key := strings.ToLower(t.DestName())
		if other, ok := seen[key]; ok {
			if !in.MergeTables {
				duplicates = append(duplicates, fmt.Sprintf("%s and %s both go to %s", other, t.Name(), t.DestName()))
			}
			continue
		}
		seen[key] = t.Name()
		d := dst.lookup(t.DestDatabase, t.DestTable)
		if d == nil {
			if !in.Schema {
				missing = append(missing, t.DestName())
			}
			continue
		}
		if in.Schema && in.ConflictHandling != IgnoreErrorsAndProceed {
			existing = append(existing, t.DestName())
			remedies = append(remedies, fmt.Sprintf("RENAME TABLE %s TO %s", quoteTable(t.DestDatabase, t.DestTable), quoteTable(t.DestDatabase, t.DestTable+"_old")))
			continue
		}
		if s := src.lookup(t.SourceDatabase, t.SourceTable); s != nil {
			names := t.DestColumns()
			if names == nil {
				for _, c := range s.Columns {
					names = append(names, c.Name)
				}
			}
			if diff := columnDifference(names, d); diff != "" {
				differ = append(differ, fmt.Sprintf("%s -> %s (%s)", t.Name(), t.DestName(), diff))
			}
		}
	}
	switch {
	case len(duplicates) > 0:
		return Result{
			State:   Failed,
			Message: "several source tables go to one destination table: " + strings.Join(duplicates, "; "),
			Remedy:  "give each table its own destination with rename_to",
		}
	case len(existing) > 0:
		return Result{
			State:   Failed,
			Message: fmt.Sprintf("destination table(s) %s already exist, and conflict_handling is %s", listNames(existing), PrecheckAndReportErrors),
			Remedy: "map these tables to new names with rename_to, or rename or drop the destination tables (" + strings.Join(remedies, "; ") +
				"), or set conflict_handling = \"" + string(IgnoreErrorsAndProceed) + "\" to keep them and write into them",
		}
	case len(missing) > 0:
		return Result{
			State:   Failed,
			Message: fmt.Sprintf("destination table(s) %s do not exist, and schema migration is not selected", listNames(missing)),
			Remedy:  "create these tables on the destination, or add \"schema\" to the task's migration types",
		}
	case len(differ) > 0:
		return Result{
			State:   Alert,
			Message: "existing destination table(s) have other columns than their source: " + strings.Join(differ, "; ") + "; only the columns present on both sides are migrated",
			Remedy:  "make the destination columns match the source (ALTER TABLE ... ADD/DROP COLUMN), or add " + DestinationConflict + " to ignore_precheck_alerts to migrate only the matching columns",
		}
	}
	return passed("no destination name conflicts")
}

// columnDifference describes how the destination's columns differ from the source's, by
// name; "" when they are the same set.
func columnDifference(migrated []string, dst *tableInfo) string {
	var onlySrc, onlyDst []string
	for _, c := range migrated {
		if !dst.hasColumn(c) {
			onlySrc = append(onlySrc, c)
		}
	}
	for _, c := range dst.Columns {
		if !slices.ContainsFunc(migrated, func(m string) bool { return strings.EqualFold(m, c.Name) }) {
			onlyDst = append(onlyDst, c.Name)
		}
	}
	var parts []string
	if len(onlySrc) > 0 {
		parts = append(parts, "only on the source: "+strings.Join(onlySrc, ", "))
	}
	if len(onlyDst) > 0 {
		parts = append(parts, "only on the destination: "+strings.Join(onlyDst, ", "))
	}
	return strings.Join(parts, "; ")
}
