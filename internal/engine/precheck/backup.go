package precheck

import (
	"context"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// backupCheck reports on destination backups. A running AnalyticDB backup makes the task
// fail, but no reliable SQL shows one, so the item passes and says so rather than guess.
type backupCheck struct{ e *env }

func (backupCheck) Name() string { return DestinationBackup }

func (c backupCheck) Check(context.Context) Result {
	if c.e.dst.typ == dbconn.TypeADBMySQL3 {
		return passed("not detectable; the task fails while the destination is being backed up, so schedule it outside the cluster's backup window")
	}
	return passed("not applicable: a %s destination accepts writes during backups", c.e.dst.typ)
}
