package dialect

import "testing"

// The writing and checksum SQL of every destination, spelled out: the full load, repair
// and verification send exactly these statements.
func TestBulkAndChecksumSQL(t *testing.T) {
	l := Load{Database: "d", Table: "t`x", Ignore: true, Columns: []LoadColumn{
		{Name: "id", Kind: LoadText}, {Name: "blob", Kind: LoadHex}, {Name: "e", Kind: LoadNumber},
	}}
	l.Constant.Name, l.Constant.Value = "__dts_data_source", "s.t'1"
	for _, name := range []DatabaseType{MySQL, MariaDB, ADBMySQL} {
		d, err := For(name)
		if err != nil {
			t.Fatal(err)
		}
		want := "LOAD DATA LOCAL INFILE 'Reader::r1' IGNORE INTO TABLE `d`.`t``x` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
			"(`id`, @v1, @v2) SET `blob` = UNHEX(@v1), `e` = CAST(@v2 AS UNSIGNED), `__dts_data_source` = 's.t\\'1'"
		if got := d.BulkLoad(l, "r1"); got != want {
			t.Errorf("%s BulkLoad:\n got %s\nwant %s", name, got, want)
		}
		want = "INSERT IGNORE INTO `d`.`t``x` (`id`, `blob`, `e`, `__dts_data_source`) VALUES (?,?,?,'s.t\\'1'),(?,?,?,'s.t\\'1')"
		if got := d.Insert(l, 2); got != want {
			t.Errorf("%s Insert:\n got %s\nwant %s", name, got, want)
		}
		// NULL flags for the nullable columns only; lengths of every free column but the last.
		if row, want := d.RowText([]RowColumn{{Name: "a"}, {Name: "b", Free: true}}), "CONCAT_WS('#', `a`, `b`)"; row != want {
			t.Errorf("%s RowText = %s, want %s", name, row, want)
		}
		row := d.RowText([]RowColumn{{Name: "a", Nullable: true}, {Name: "b", Free: true}, {Name: "c", Free: true, Bytes: true, Nullable: true}, {Name: "d", Free: true, Bytes: true}})
		if want := "CONCAT_WS('#', `a`, `b`, `c`, `d`, CONCAT(ISNULL(`a`), ISNULL(`c`)), CONCAT_WS(',', CHAR_LENGTH(`b`), LENGTH(`c`)))"; row != want {
			t.Errorf("%s RowText = %s, want %s", name, row, want)
		}
		// A number column (BIT compared as its number) is read as one, on both sides.
		if row, want := d.RowText([]RowColumn{{Name: "b", Number: true, Nullable: true}, {Name: "s", Free: true}}), "CONCAT_WS('#', (`b` + 0), `s`, CONCAT(ISNULL(`b`)))"; row != want {
			t.Errorf("%s RowText = %s, want %s", name, row, want)
		}
		if got, want := d.RowHash(row), "MD5("+row+")"; got != want {
			t.Errorf("%s RowHash = %s, want %s", name, got, want)
		}
		want = "SELECT COUNT(*), COALESCE(SUM(h), 0), COALESCE(SUM(h * h), 0) FROM (SELECT CRC32(" + row + ") AS h FROM `d`.`t` WHERE x LIMIT 18446744073709551615) AS t"
		if got := d.ChunkChecksum(row, "`d`.`t` WHERE x"); got != want {
			t.Errorf("%s ChunkChecksum:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestAppendLoadField(t *testing.T) {
	cases := []struct {
		in   []byte
		kind LoadKind
		want string
	}{
		{nil, LoadText, `\N`},
		{[]byte("a\tb\nc\\d\re\x00"), LoadText, `a\tb\nc\\d\re\0`},
		{[]byte("\\\\plain text\n"), LoadText, `\\\\plain text\n`},
		{[]byte(""), LoadText, ""},
		{[]byte{0, 0xff, '\t'}, LoadHex, "00ff09"},
		{[]byte("42"), LoadNumber, "42"},
	}
	for _, c := range cases {
		if got := string(AppendLoadField(nil, c.in, c.kind)); got != c.want {
			t.Errorf("AppendLoadField(%q, %d) = %q, want %q", c.in, c.kind, got, c.want)
		}
	}
}

// A sysbench c column: 119 bytes of digits and dashes, nothing to escape.
func BenchmarkAppendLoadField(b *testing.B) {
	v := []byte("83293143260-01576437976-32510788427-31213281936-12345236793-11239847283-09283746512-19283746501-12093847561-11223344")
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		buf = AppendLoadField(buf[:0], v, LoadText)
	}
}
