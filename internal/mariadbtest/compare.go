package mariadbtest

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// Digest runs query on db and returns its row count and a SHA-256 over every value of
// every row, in order: each value as its text-protocol bytes with a length prefix, NULL as a
// distinct marker. Two servers hold the same data when the same ordered query gives the same
// digest on both. It reads rows one at a time, whatever their number.
func Digest(t testing.TB, db *sql.DB, query string) (rows int, sum string) {
	t.Helper()
	r, err := db.Query(query)
	if err != nil {
		t.Fatalf("digest query %q: %v", query, err)
	}
	defer r.Close()
	cols, err := r.Columns()
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	h := sha256.New()
	var n [8]byte
	for r.Next() {
		if err := r.Scan(dest...); err != nil {
			t.Fatalf("digest query %q: %v", query, err)
		}
		for _, v := range raw {
			if v == nil {
				h.Write([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
				continue
			}
			binary.BigEndian.PutUint64(n[:], uint64(len(v)))
			h.Write(n[:])
			h.Write(v)
		}
		rows++
	}
	if err := r.Err(); err != nil {
		t.Fatalf("digest query %q: %v", query, err)
	}
	return rows, hex.EncodeToString(h.Sum(nil))
}

// AssertSameRows fails the test unless srcQuery on src and dstQuery on dst return the same
// rows in the same order. It logs the row count compared.
func AssertSameRows(t testing.TB, src, dst *sql.DB, srcQuery, dstQuery string) {
	t.Helper()
	sn, ss := Digest(t, src, srcQuery)
	dn, ds := Digest(t, dst, dstQuery)
	if sn != dn || ss != ds {
		t.Errorf("rows differ:\n  source      %q: %d rows, digest %s\n  destination %q: %d rows, digest %s", srcQuery, sn, ss, dstQuery, dn, ds)
		return
	}
	t.Logf("same %d rows on source and destination (%s)", sn, ss[:12])
}
