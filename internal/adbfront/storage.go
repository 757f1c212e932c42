// How the front stores AnalyticDB's VARCHAR and BINARY in MariaDB.

package adbfront

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// bigColumn is the longest VARCHAR or BINARY the front keeps as MariaDB's own VARCHAR or
// VARBINARY; a longer one becomes MEDIUMTEXT or MEDIUMBLOB, which hold AnalyticDB's 16 MB
// and do not count towards MariaDB's 64 KB row.
const bigColumn = 4096

// prefixLength is the key prefix the front gives MariaDB for an index on a column it
// stores as MEDIUMTEXT or MEDIUMBLOB, which MariaDB indexes only by a prefix.
const prefixLength = 191

// ruleLengthsAreSyntax stores AnalyticDB's VARCHAR and BINARY as MariaDB can hold what the
// page says they hold: a VARCHAR's length is only syntax (values up to 16 MB), and BINARY
// holds BINARY, VARBINARY and BLOB values, so it is variable-length (no padding). BINARY(n)
// becomes VARBINARY(n); a longer VARCHAR or BINARY than bigColumn becomes MEDIUMTEXT or
// MEDIUMBLOB, and the keys on it get a prefix. Nothing of this shows to the client but in
// SHOW CREATE TABLE, which shows MariaDB's text (docs/adb.md).
func ruleLengthsAreSyntax(st *statement, sw Switches) error {
	node, err := st.ddl()
	if err != nil || node == nil {
		return err
	}
	big := map[string]bool{}
	for _, col := range columns(node) {
		tp := col.Tp
		binary := tp.GetCharset() == "binary"
		switch {
		case tp.GetType() == mysql.TypeString && binary: // BINARY(n)
			tp.SetType(mysql.TypeVarchar)
		case tp.GetType() == mysql.TypeVarchar:
		default:
			continue
		}
		st.nodeEdited = true
		if tp.GetFlen() > bigColumn {
			tp.SetType(mysql.TypeMediumBlob)
			tp.SetFlen(-1)
			big[strings.ToLower(col.Name.Name.O)] = true
		}
	}
	if len(big) == 0 {
		return nil
	}
	var keys []*ast.IndexPartSpecification
	switch n := node.(type) {
	case *ast.CreateTableStmt:
		for _, c := range n.Constraints {
			keys = append(keys, c.Keys...)
		}
	case *ast.AlterTableStmt:
		for _, spec := range n.Specs {
			if spec.Constraint != nil {
				keys = append(keys, spec.Constraint.Keys...)
			}
		}
	}
	for _, k := range keys {
		if k.Column != nil && k.Length == 0 && big[strings.ToLower(k.Column.Name.O)] {
			k.Length = prefixLength
		}
	}
	return nil
}
