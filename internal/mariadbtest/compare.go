package mariadbtest

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
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
		t.Errorf("rows differ:\n  source      %q: %d rows, digest %s\n  destination %q: %d rows, digest %s%s", srcQuery, sn, ss, dstQuery, dn, ds, firstDifferences(t, src, dst, srcQuery, dstQuery))
		return
	}
	t.Logf("same %d rows on source and destination (%s)", sn, ss[:12])
}

// firstDifferences lists the first rows, in the queries' order, that one side has and the
// other has not, for a failure message.
func firstDifferences(t testing.TB, src, dst *sql.DB, srcQuery, dstQuery string) string {
	read := func(db *sql.DB, q string) map[string]bool {
		rows, err := db.Query(q)
		if err != nil {
			return nil
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		out := map[string]bool{}
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if rows.Scan(ptrs...) != nil {
				return nil
			}
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteString(" | ")
				}
				if v == nil {
					b.WriteString("NULL")
				} else {
					b.Write(v)
				}
			}
			out[b.String()] = true
		}
		return out
	}
	s, d := read(src, srcQuery), read(dst, dstQuery)
	var onlySrc, onlyDst []string
	for r := range s {
		if !d[r] {
			onlySrc = append(onlySrc, r)
		}
	}
	for r := range d {
		if !s[r] {
			onlyDst = append(onlyDst, r)
		}
	}
	slices.Sort(onlySrc)
	slices.Sort(onlyDst)
	return fmt.Sprintf("\n  only on the source (%d): %q\n  only on the destination (%d): %q", len(onlySrc), onlySrc[:min(len(onlySrc), 10)], len(onlyDst), onlyDst[:min(len(onlyDst), 10)])
}
