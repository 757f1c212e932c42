package engine

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// currentPosition reads the source's current binlog file, position and GTID set. A source
// without a binlog gives the zero Position.
func currentPosition(ctx context.Context, src *sql.DB) (Position, error) {
	var version string
	var logBin int
	if err := src.QueryRowContext(ctx, "SELECT VERSION(), @@log_bin").Scan(&version, &logBin); err != nil {
		return Position{}, fmt.Errorf("reading source variables: %w", err)
	}
	if logBin == 0 {
		return Position{}, nil
	}
	rows, err := src.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return Position{}, fmt.Errorf("reading the source binlog position (the source user needs the REPLICATION CLIENT or BINLOG MONITOR privilege): %w", err)
	}
	defer rows.Close()
	var p Position
	if rows.Next() {
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return Position{}, err
		}
		p.File = string(vals[0])
		fmt.Sscan(string(vals[1]), &p.Pos)
	}
	if err := rows.Err(); err != nil {
		return Position{}, err
	}
	gtidVar := "@@gtid_executed"
	if dbconn.FlavorOf(version) == dbconn.TypeMariaDB {
		gtidVar = "@@gtid_binlog_pos"
	}
	var gtid sql.NullString
	if err := src.QueryRowContext(ctx, "SELECT "+gtidVar).Scan(&gtid); err == nil {
		p.GTIDSet = gtid.String
	}
	return p, nil
}
