package cdc

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/klauspost/compress/zstd"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// Binlog events that MySQL writes and MariaDB never does, built byte by byte from MySQL's
// documented formats (the "MySQL Source Code Documentation" pages on the binary log:
// Binary_log_event header, Format_description_event, Table_map_event, Rows_event with its
// PARTIAL_UPDATE_ROWS_EVENT after image, Transaction_payload_event, Query_event,
// Xid_event, Gtid_event; and json_binary.h for JSON documents). They are decoded by
// go-mysql's parser configured as incremental migration configures its binlog reader
// (syncerConfig), and handed to the applier's handle as Run hands them, into a real
// MariaDB destination that the tests read back.

// mysqlBinlog writes a MySQL 8.0 binlog: events with a CRC32 checksum, positions from 4.
type mysqlBinlog struct {
	pos    uint32
	events [][]byte
}

const testTableID = 91

func newMySQLBinlog() *mysqlBinlog {
	b := &mysqlBinlog{pos: 4}
	body := binary.LittleEndian.AppendUint16(nil, 4)
	version := make([]byte, 50)
	copy(version, "8.0.36")
	body = append(body, version...)
	body = binary.LittleEndian.AppendUint32(body, 1700000000)
	body = append(body, replication.EventHeaderSize)
	// Post-header lengths by event type: 8 for TABLE_MAP_EVENT, 10 for the v2 rows events
	// and PARTIAL_UPDATE_ROWS_EVENT (a 6-byte table id), as MySQL 8.0 writes them.
	lengths := make([]byte, 45)
	lengths[replication.TABLE_MAP_EVENT-1] = 8
	for _, e := range []replication.EventType{replication.WRITE_ROWS_EVENTv2, replication.UPDATE_ROWS_EVENTv2, replication.DELETE_ROWS_EVENTv2, replication.PARTIAL_UPDATE_ROWS_EVENT} {
		lengths[e-1] = 10
	}
	body = append(body, lengths...)
	body = append(body, byte(replication.BINLOG_CHECKSUM_ALG_CRC32))
	b.add(replication.FORMAT_DESCRIPTION_EVENT, body)
	return b
}

// header is the common event header; logPos is the end of the event (0 inside a payload).
func header(typ replication.EventType, size, logPos uint32) []byte {
	h := binary.LittleEndian.AppendUint32(nil, 1700000100)
	h = append(h, byte(typ))
	h = binary.LittleEndian.AppendUint32(h, 1) // server id
	h = binary.LittleEndian.AppendUint32(h, size)
	h = binary.LittleEndian.AppendUint32(h, logPos)
	return binary.LittleEndian.AppendUint16(h, 0)
}

// add appends an event of the binlog, with its checksum, and returns its end position.
func (b *mysqlBinlog) add(typ replication.EventType, body []byte) uint32 {
	size := uint32(replication.EventHeaderSize + len(body) + 4)
	b.pos += size
	ev := append(header(typ, size, b.pos), body...)
	ev = binary.LittleEndian.AppendUint32(ev, crc32.ChecksumIEEE(ev))
	b.events = append(b.events, ev)
	return b.pos
}

// inner is an event as a transaction payload holds it: no checksum, no position.
func inner(typ replication.EventType, body []byte) []byte {
	return append(header(typ, uint32(replication.EventHeaderSize+len(body)), 0), body...)
}

func queryBody(schema, query string) []byte {
	body := binary.LittleEndian.AppendUint32(nil, 7) // thread id
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = append(body, byte(len(schema)))
	body = binary.LittleEndian.AppendUint16(body, 0) // error code
	body = binary.LittleEndian.AppendUint16(body, 0) // no status variables
	body = append(append(body, schema...), 0)
	return append(body, query...)
}

func xidBody(xid uint64) []byte { return binary.LittleEndian.AppendUint64(nil, xid) }

func gtidBody(gno int64) []byte {
	body := []byte{1}
	body = append(body, []byte("0123456789abcdef")...)
	body = binary.LittleEndian.AppendUint64(body, uint64(gno))
	body = append(body, 2) // logical timestamps follow
	body = binary.LittleEndian.AppendUint64(body, uint64(gno-1))
	return binary.LittleEndian.AppendUint64(body, uint64(gno))
}

// The test table, shop.docs (id INT PRIMARY KEY, j JSON, note VARCHAR(20) utf8mb4), as
// its TABLE_MAP_EVENT describes it.
func tableMapBody(db, table string) []byte {
	body := binary.LittleEndian.AppendUint32(nil, testTableID)
	body = binary.LittleEndian.AppendUint16(body, 0) // the table id's upper bytes
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = append(append(append(body, byte(len(db))), db...), 0)
	body = append(append(append(body, byte(len(table))), table...), 0)
	body = append(body, 3, mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_JSON, mysql.MYSQL_TYPE_VARCHAR)
	meta := []byte{4} // JSON: 4 length bytes
	meta = binary.LittleEndian.AppendUint16(meta, 80)
	body = append(append(body, byte(len(meta))), meta...)
	return append(body, 0b110) // j and note are nullable
}

// rowsBody is a v2 rows event of the test table: bitmaps of the columns present, then the
// images, each already encoded (imageOf).
func rowsBody(flags uint16, present []byte, images ...[]byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, testTableID)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint16(body, flags)
	body = binary.LittleEndian.AppendUint16(body, 2) // no extra row data
	body = append(body, 3)
	body = append(body, present...)
	for _, im := range images {
		body = append(body, im...)
	}
	return body
}

// docRow is a row image of the test table with the columns in present (a bitmap): id, j
// (JSON binary, nil for NULL) and note (nil for NULL).
func docRow(present byte, id int32, j []byte, note *string) []byte {
	var nulls byte
	var values []byte
	bit := 0
	if present&1 != 0 {
		values = binary.LittleEndian.AppendUint32(values, uint32(id))
		bit++
	}
	if present&2 != 0 {
		if j == nil {
			nulls |= 1 << bit
		} else {
			values = binary.LittleEndian.AppendUint32(values, uint32(len(j)))
			values = append(values, j...)
		}
		bit++
	}
	if present&4 != 0 {
		if note == nil {
			nulls |= 1 << bit
		} else {
			values = append(append(values, byte(len(*note))), *note...)
		}
	}
	return append([]byte{nulls}, values...)
}

// JSON binary values (json_binary.h): a type byte, then the value.
const (
	jsonSmallObject = 0x00
	jsonSmallArray  = 0x02
	jsonInt16       = 0x05
	jsonDouble      = 0x0b
	jsonString      = 0x0c
	jsonOpaque      = 0x0f
)

func jDouble(f float64) []byte {
	return binary.LittleEndian.AppendUint64([]byte{jsonDouble}, math.Float64bits(f))
}

func jInt16(n int16) []byte { return binary.LittleEndian.AppendUint16([]byte{jsonInt16}, uint16(n)) }

func jString(s string) []byte { return append([]byte{jsonString, byte(len(s))}, s...) }

// jDecimal is a DECIMAL in a document: an opaque value of type NEWDECIMAL holding
// precision, scale and the decimal's binary form.
func jDecimal(precision, scale byte, bin ...byte) []byte {
	data := append([]byte{precision, scale}, bin...)
	return append([]byte{jsonOpaque, mysql.MYSQL_TYPE_NEWDECIMAL, byte(len(data))}, data...)
}

// jContainer is a small object (keys given, in MySQL's order: by length, then bytes) or a
// small array (keys nil). INT16 values are inlined in their entry, others follow the keys.
func jContainer(keys []string, values ...[]byte) []byte {
	n := len(values)
	entries := 4 + 3*n // count, size, value entries (type, offset or inline value)
	if keys != nil {
		entries += 4 * n // key entries (offset, length)
	}
	var keyBytes, valueBytes []byte
	for _, k := range keys {
		keyBytes = append(keyBytes, k...)
	}
	head := binary.LittleEndian.AppendUint16(nil, uint16(n))
	head = append(head, 0, 0) // size, set below
	off := entries
	for _, k := range keys {
		head = binary.LittleEndian.AppendUint16(head, uint16(off))
		head = binary.LittleEndian.AppendUint16(head, uint16(len(k)))
		off += len(k)
	}
	for _, v := range values {
		head = append(head, v[0])
		if v[0] == jsonInt16 {
			head = append(head, v[1], v[2])
			continue
		}
		head = binary.LittleEndian.AppendUint16(head, uint16(off+len(valueBytes)))
		valueBytes = append(valueBytes, v[1:]...)
	}
	doc := append(append(head, keyBytes...), valueBytes...)
	binary.LittleEndian.PutUint16(doc[2:], uint16(len(doc)))
	tp := byte(jsonSmallObject)
	if keys == nil {
		tp = jsonSmallArray
	}
	return append([]byte{tp}, doc...)
}

// sampleDoc is {"a": 1.0, "d": 1.50, "l": [1, 2.5], "s": "x"}: a double with no fraction,
// a DECIMAL(4,2) and an array, as MySQL stores them. MySQL shows it as that text.
func sampleDoc() ([]byte, string) {
	return jContainer([]string{"a", "d", "l", "s"},
			jDouble(1.0), jDecimal(4, 2, 0x81, 0x32), jContainer(nil, jInt16(1), jDouble(2.5)), jString("x")),
		`{"a": 1.0, "d": 1.50, "l": [1, 2.5], "s": "x"}`
}

// rowsTxn is a binlog of one transaction of the test table: BEGIN, its table map, one
// rows event of type typ and the XID.
func rowsTxn(typ replication.EventType, rows []byte, xid uint64) *mysqlBinlog {
	b := newMySQLBinlog()
	b.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
	b.add(replication.TABLE_MAP_EVENT, tableMapBody("shop", "docs"))
	b.add(typ, rows)
	b.add(replication.XID_EVENT, xidBody(xid))
	return b
}

func strp(s string) *string { return &s }

// mysqlFixture is a MySQL source's binlog applier into a MariaDB destination table dw.docs.
type mysqlFixture struct {
	a      *applier
	dst    *sql.DB
	parser *replication.BinlogParser
}

func newMySQLFixture(t *testing.T, server *mariadbtest.Server, db *sql.DB) *mysqlFixture {
	t.Helper()
	server.Exec(t, "DROP TABLE IF EXISTS dw.docs", "CREATE TABLE dw.docs (id INT PRIMARY KEY, j JSON, note VARCHAR(20))")
	tb := &Table{Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "docs", DestDatabase: "dw", DestTable: "docs"},
		Columns: []schema.Column{
			{Name: "id", DataType: "int"},
			{Name: "j", DataType: "json", Nullable: true},
			{Name: "note", DataType: "varchar", Charset: "utf8mb4", Nullable: true},
		},
		Dest: map[string]string{"id": "id", "j": "j", "note": "note"}, Key: []string{"id"}}
	cfg := Config{TaskID: "t-" + strings.ReplaceAll(t.Name(), "/", "-"), Source: dbconn.Endpoint{Type: dbconn.TypeMySQL},
		Dialect: mariadb(t), Tables: []*Table{tb}}
	if err := tb.replan(cfg.Dialect); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Ensure(context.Background(), db, cfg.Dialect); err != nil {
		t.Fatal(err)
	}
	a := &applier{follower: &follower{cfg: cfg, dst: db, tables: map[string]*Table{"shop.docs": tb}, aside: map[string]*Table{}}, file: "binlog.000001"}
	a.cfg.Log = slog.New(slog.DiscardHandler)
	// The parser as the binlog reader's: the options NewBinlogSyncer gives its own.
	sc := syncerConfig(cfg)
	p := replication.NewBinlogParser()
	p.SetFlavor(sc.Flavor)
	p.SetParseTime(sc.ParseTime)
	p.SetTimestampStringLocation(sc.TimestampStringLocation)
	p.SetUseDecimal(sc.UseDecimal)
	p.SetUseFloatWithTrailingZero(sc.UseFloatWithTrailingZero)
	p.SetRenderJSONAsMySQLText(sc.RenderJSONAsMySQLText)
	p.SetVerifyChecksum(true)
	p.SetRowsEventDecodeFunc(sc.RowsEventDecodeFunc)
	return &mysqlFixture{a: a, dst: db, parser: p}
}

// replay parses the binlog's events and hands them to the applier, then commits what is
// complete; it returns the first error.
func (f *mysqlFixture) replay(t *testing.T, b *mysqlBinlog) error {
	t.Helper()
	ctx := context.Background()
	for _, raw := range b.events {
		ev, err := f.parser.Parse(raw)
		if err != nil {
			t.Fatalf("parsing a built event: %v", err)
		}
		if err := f.a.handle(ctx, ev); err != nil {
			return err
		}
	}
	return f.a.flush(ctx)
}

// rows reads dw.docs back: id -> "j|note", NULL as ∅.
func (f *mysqlFixture) rows(t *testing.T) map[int]string {
	t.Helper()
	r, err := f.dst.Query("SELECT id, j, note FROM dw.docs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[int]string{}
	for r.Next() {
		var id int
		var j, note sql.NullString
		if err := r.Scan(&id, &j, &note); err != nil {
			t.Fatal(err)
		}
		show := func(s sql.NullString) string {
			if !s.Valid {
				return "∅"
			}
			return s.String
		}
		out[id] = show(j) + "|" + show(note)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantRows(t *testing.T, got, want map[int]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("destination has %d rows %v, want %d %v", len(got), got, len(want), want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("destination row %d is %q, want %q", id, got[id], w)
		}
	}
}

// wantSettingError requires err to be ErrSourceSetting naming the setting and the remedy.
func wantSettingError(t *testing.T, err error, setting, remedy string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error: the events written with %s were not refused", setting)
	}
	if !errors.Is(err, ErrSourceSetting) {
		t.Errorf("error is not ErrSourceSetting: %v", err)
	}
	for _, s := range []string{setting, remedy, "create a new task"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q: %v", s, err)
		}
	}
}

func TestMySQLOnlyBinlogEvents(t *testing.T) {
	server := mariadbtest.StartDestination(t)
	server.Exec(t, "CREATE DATABASE dw")
	db := server.DB(t, "")
	doc, docText := sampleDoc()

	// binlog_transaction_compression=ON: a GTID event, then the transaction's events
	// zstd-compressed in one TRANSACTION_PAYLOAD_EVENT, its XID last.
	t.Run("compressed transaction", func(t *testing.T) {
		f := newMySQLFixture(t, server, db)
		b := newMySQLBinlog()
		b.add(replication.GTID_EVENT, gtidBody(12))
		var txn []byte
		for _, ev := range [][]byte{
			inner(replication.QUERY_EVENT, queryBody("shop", "BEGIN")),
			inner(replication.TABLE_MAP_EVENT, tableMapBody("shop", "docs")),
			inner(replication.WRITE_ROWS_EVENTv2, rowsBody(1, []byte{7}, docRow(7, 1, doc, strp("one")), docRow(7, 2, nil, nil))),
			inner(replication.XID_EVENT, xidBody(55)),
		} {
			txn = append(txn, ev...)
		}
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			t.Fatal(err)
		}
		compressed := enc.EncodeAll(txn, nil)
		enc.Close()
		// Header fields: type, length, value; 0 ends them (Transaction_payload_event).
		payload := []byte{2, 1, 0} // compression type: ZSTD
		payload = append(payload, 3, 2)
		payload = binary.LittleEndian.AppendUint16(payload, uint16(len(txn)))
		payload = append(payload, 1, 2)
		payload = binary.LittleEndian.AppendUint16(payload, uint16(len(compressed)))
		payload = append(append(payload, 0), compressed...)
		end := b.add(replication.TRANSACTION_PAYLOAD_EVENT, payload)

		if err := f.replay(t, b); err != nil {
			t.Fatal(err)
		}
		wantRows(t, f.rows(t), map[int]string{1: docText + "|one", 2: "∅|∅"})
		if f.a.inTxn {
			t.Error("the applier is still inside the transaction after its payload: a drain would never end")
		}
		workers, ok, err := checkpoint.LoadWorkers(context.Background(), db, f.a.cfg.TaskID)
		if err != nil || !ok {
			t.Fatalf("no committed position (%v, %v)", ok, err)
		}
		pos := workers[0]
		if pos.File != "binlog.000001" || pos.Pos != uint64(end) {
			t.Errorf("committed position %s:%d, want the payload's end binlog.000001:%d", pos.File, pos.Pos, end)
		}
	})

	// JSON with doubles and decimals arrives as MySQL shows it (what the full load copies).
	t.Run("json text", func(t *testing.T) {
		f := newMySQLFixture(t, server, db)
		b := rowsTxn(replication.WRITE_ROWS_EVENTv2, rowsBody(1, []byte{7}, docRow(7, 1, doc, nil),
			docRow(7, 2, jContainer(nil, jDouble(-0.5), jDouble(3), jString("a,b: c")), nil)), 56)
		if err := f.replay(t, b); err != nil {
			t.Fatal(err)
		}
		wantRows(t, f.rows(t), map[int]string{1: docText + "|∅", 2: `[-0.5, 3.0, "a,b: c"]|∅`})
	})

	// binlog_row_value_options=PARTIAL_JSON: every UPDATE is a PARTIAL_UPDATE_ROWS_EVENT; a
	// row whose after image holds whole values is applied, one with a JSON diff fails.
	t.Run("partial json", func(t *testing.T) {
		f := newMySQLFixture(t, server, db)
		server.Exec(t, `INSERT INTO dw.docs VALUES (1, '{"a": 1}', 'old'), (2, '{"a": 2}', 'old')`)
		full := append([]byte{1, 0}, docRow(7, 1, jContainer([]string{"a"}, jInt16(5)), strp("new"))...) // value options: PARTIAL_JSON; no partial column
		b := rowsTxn(replication.PARTIAL_UPDATE_ROWS_EVENT, rowsBody(1, []byte{7, 7},
			docRow(7, 1, jContainer([]string{"a"}, jInt16(1)), strp("old")), full), 57)
		if err := f.replay(t, b); err != nil {
			t.Fatal(err)
		}
		wantRows(t, f.rows(t), map[int]string{1: `{"a": 5}|new`, 2: `{"a": 2}|old`})

		// A diff: REPLACE $.a with 7 (Json_diff_vector, after a 4-byte length).
		diff := append([]byte{0, 3}, "$.a"...)
		diff = append(append(diff, 3), jInt16(7)...)
		partial := []byte{1, 1, 0}                             // value options, partial bitmap (j is partial), no NULLs
		partial = binary.LittleEndian.AppendUint32(partial, 2) // id
		partial = binary.LittleEndian.AppendUint32(partial, uint32(len(diff)))
		partial = append(append(partial, diff...), 3)
		partial = append(partial, "new"...)
		b = rowsTxn(replication.PARTIAL_UPDATE_ROWS_EVENT, rowsBody(1, []byte{7, 7},
			docRow(7, 2, jContainer([]string{"a"}, jInt16(2)), strp("old")), partial), 58)
		wantSettingError(t, f.replay(t, b), "binlog_row_value_options=PARTIAL_JSON", "binlog_row_value_options = ''")
		wantRows(t, f.rows(t), map[int]string{1: `{"a": 5}|new`, 2: `{"a": 2}|old`})
	})

	// binlog_row_image=MINIMAL: a delete's before image holds the key only, and is applied;
	// an update's after image without j cannot be.
	t.Run("minimal row image", func(t *testing.T) {
		f := newMySQLFixture(t, server, db)
		server.Exec(t, `INSERT INTO dw.docs VALUES (1, '{"a": 1}', 'old'), (2, '{"a": 2}', 'old')`)
		b := rowsTxn(replication.DELETE_ROWS_EVENTv2, rowsBody(1, []byte{1}, docRow(1, 2, nil, nil)), 59)
		if err := f.replay(t, b); err != nil {
			t.Fatal(err)
		}
		wantRows(t, f.rows(t), map[int]string{1: `{"a": 1}|old`})

		b = rowsTxn(replication.UPDATE_ROWS_EVENTv2, rowsBody(1, []byte{1, 5}, docRow(1, 1, nil, nil), docRow(5, 1, nil, strp("new"))), 60)
		wantSettingError(t, f.replay(t, b), "binlog_row_image=MINIMAL", "binlog_row_image = 'FULL'")
		wantRows(t, f.rows(t), map[int]string{1: `{"a": 1}|old`})
	})

	// binlog_format=STATEMENT: the DML is a QUERY_EVENT; on a table of the task it fails,
	// on another database's it is not the task's.
	t.Run("statement format", func(t *testing.T) {
		f := newMySQLFixture(t, server, db)
		b := newMySQLBinlog()
		b.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
		b.add(replication.QUERY_EVENT, queryBody("shop", "INSERT INTO other.log VALUES (1)"))
		b.add(replication.XID_EVENT, xidBody(61))
		if err := f.replay(t, b); err != nil {
			t.Fatalf("DML on another database failed the run: %v", err)
		}
		for _, q := range []string{
			"INSERT INTO docs (id, note) VALUES (9, 'stmt')",
			"UPDATE shop.docs SET note = 'x' WHERE id = 1",
			"DELETE d FROM docs d JOIN other.log l ON l.id = d.id",
		} {
			b := newMySQLBinlog()
			b.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
			b.add(replication.QUERY_EVENT, queryBody("shop", q))
			b.add(replication.XID_EVENT, xidBody(62))
			wantSettingError(t, f.replay(t, b), "binlog_format=STATEMENT", "binlog_format = 'ROW'")
		}
		wantRows(t, f.rows(t), map[int]string{})
	})
}

// MySQL shows a document with a space after each ',' and ':' between tokens, and none in
// strings, escaped quotes included.
func TestMySQLJSONText(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1.0,"b":[1,{"c":null}]}`: `{"a": 1.0, "b": [1, {"c": null}]}`,
		`{"k":"a\",b:c\\","l":"x"}`:    `{"k": "a\",b:c\\", "l": "x"}`,
		`[]`:                           `[]`,
		`"a,b"`:                        `"a,b"`,
	} {
		if got := mysqlJSONText(in); got != want {
			t.Errorf("mysqlJSONText(%s) = %s, want %s", in, got, want)
		}
	}
}
