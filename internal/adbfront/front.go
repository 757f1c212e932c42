// Package adbfront is a test double of AnalyticDB for MySQL 3.0 as its public
// documentation describes it: a MySQL-protocol front in front of a real
// MariaDB server. It is the documented behaviour, not AnalyticDB.
//
// The front relays the client's packets to MariaDB unchanged (handshake
// included), and reads only the statements of COM_QUERY and COM_STMT_PREPARE.
// Each statement passes through the rules of the table in rules.go, in order;
// a rule may refuse the statement (the client gets an ERR packet and MariaDB
// never sees it), rewrite it, answer it itself (SHOW CREATE TABLE), or add an
// action that runs once MariaDB has accepted it. Everything else, LOAD DATA
// LOCAL INFILE data and prepared statement executions included, is relayed
// as it is.
//
// Contracts:
//   - The front speaks to clients without TLS or compression; it clears both
//     from the server greeting.
//   - Clients must not pipeline commands (go-sql-driver/mysql does not).
//   - The front keeps what MariaDB cannot (AnalyticDB's table clauses) in the
//     database adbfront_meta on the MariaDB behind it, so a restarted front
//     keeps them. It reaches MariaDB for that through Config.AdminDSN.
//
// With Config.Mode set to a MySQL version (mysql.go), the front is instead a
// test double of MySQL's documented statement behaviour over MariaDB, with its
// own rule table, MySQLRules. It is the documented behaviour, not MySQL.
package adbfront

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Config says where the front listens, which MariaDB it relays to, and how
// it settles the points the documentation leaves open.
type Config struct {
	// Listen is the TCP address to listen on, for example "127.0.0.1:0".
	Listen string
	// Upstream is the MariaDB server's TCP address, "host:port".
	Upstream string
	// AdminDSN is a go-sql-driver/mysql DSN for the same MariaDB server, used
	// by the front itself: it needs CREATE, INSERT, DELETE, SELECT on
	// adbfront_meta, TRIGGER and SELECT on the client tables.
	AdminDSN string
	// Switches settle what the documentation does not say.
	Switches Switches
	// Mode is "" or ModeADB for AnalyticDB (Rules), or a MySQL mode (ModeMySQL84,
	// ModeMySQL80, ModeMySQL57): MySQL's behaviour in that version (MySQLRules, mysql.go).
	// In a MySQL mode Switches are not read, AdminDSN may be empty, and the front keeps
	// nothing in adbfront_meta.
	Mode string
	// MySQL settles the server settings a MySQL mode reads (gtid_mode).
	MySQL MySQLSwitches
	// Logf, if not nil, receives one line per refused or rewritten statement.
	Logf func(format string, args ...any)
}

// Front is a running front. Its methods are safe for concurrent use.
type Front struct {
	cfg   Config
	ln    net.Listener
	admin *sql.DB
	meta  *metaStore
	pks   sync.Map   // tableRef -> string: first primary key column, dropped on any table DDL
	mysql *mysqlMode // nil in AnalyticDB mode
	hits  sync.Map   // MySQL rule name -> *atomic.Int64: statements the rule refused or rewrote

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start checks cfg and starts listening; in AnalyticDB mode it first connects
// to MariaDB through cfg.AdminDSN and creates the metadata database if needed.
// The front runs until Close.
func Start(ctx context.Context, cfg Config) (*Front, error) {
	if cfg.Mode != "" && cfg.Mode != ModeADB {
		v, ok := mysqlVersions[cfg.Mode]
		if !ok {
			return nil, fmt.Errorf("adbfront: mode %q is unknown; use %s, %s, %s or %s", cfg.Mode, ModeADB, ModeMySQL84, ModeMySQL80, ModeMySQL57)
		}
		if err := cfg.MySQL.validate(); err != nil {
			return nil, err
		}
		return listen(cfg, &Front{cfg: cfg, mysql: &mysqlMode{version: v, switches: cfg.MySQL}})
	}
	if err := cfg.Switches.validate(); err != nil {
		return nil, err
	}
	admin, err := sql.Open("mysql", cfg.AdminDSN)
	if err != nil {
		return nil, fmt.Errorf("adbfront: admin DSN: %w", err)
	}
	meta := &metaStore{db: admin}
	if err := meta.init(ctx); err != nil {
		_ = admin.Close()
		return nil, fmt.Errorf("adbfront: preparing %s on %s: %w; check that MariaDB runs and the admin account may create databases", metaDatabase, cfg.Upstream, err)
	}
	return listen(cfg, &Front{cfg: cfg, admin: admin, meta: meta})
}

// listen starts f listening on cfg.Listen; on failure it closes f's admin pool.
func listen(cfg Config, f *Front) (*Front, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		if f.admin != nil {
			_ = f.admin.Close()
		}
		return nil, fmt.Errorf("adbfront: listening on %s: %w", cfg.Listen, err)
	}
	f.ln, f.conns = ln, map[net.Conn]struct{}{}
	f.wg.Add(1)
	go f.accept()
	return f, nil
}

// Addr is the address the front listens on.
func (f *Front) Addr() string { return f.ln.Addr().String() }

// Close stops listening, closes every client and upstream connection, and
// waits for their goroutines to end.
func (f *Front) Close() error {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	err := f.ln.Close()
	f.wg.Wait()
	if f.admin != nil {
		_ = f.admin.Close()
	}
	return err
}

// Hits is how many statements the MySQL rule named name has refused or rewritten since
// the front started (0 in AnalyticDB mode): a test's evidence that a client sent, or never
// sent, a statement the rule concerns.
func (f *Front) Hits(name string) int64 {
	if n, ok := f.hits.Load(name); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (f *Front) hit(name string) {
	n, _ := f.hits.LoadOrStore(name, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

func (f *Front) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(c) {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			f.serve(c)
		}()
	}
}

// track registers a connection so that Close closes it; false if closed.
func (f *Front) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Front) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	_ = c.Close()
}

func (f *Front) logf(format string, args ...any) {
	if f.cfg.Logf != nil {
		f.cfg.Logf(format, args...)
	}
}

// session is one client connection and its upstream connection.
//
// Two goroutines share it: serve reads client commands and writes them
// upstream; relayUp copies upstream packets to the client. They never write
// to the client at the same time because the client waits for the answer to
// a command before it sends the next one; clientMu guards it anyway.
type session struct {
	f        *Front
	client   net.Conn
	clientR  *bufio.Reader
	clientMu sync.Mutex
	clientW  *bufio.Writer
	up       net.Conn
	upR      *bufio.Reader

	caps uint32 // capabilities both sides agreed on
	db   string // the client's default database, as far as the front can tell

	// seqDelta is how many more physical packets the front sent upstream
	// for the current command than the client sent: relayUp subtracts it
	// from upstream sequence numbers, serve adds it to the client's later
	// packets (LOAD DATA LOCAL data).
	seqDelta atomic.Int32
	// hold, when set, makes relayUp hand the next upstream packet to serve
	// (on held) instead of writing it to the client.
	hold atomic.Bool
	held chan packet
}

func (f *Front) serve(client net.Conn) {
	up, err := net.DialTimeout("tcp", f.cfg.Upstream, 10*time.Second)
	if err != nil {
		f.logf("adbfront: connecting to MariaDB at %s: %v", f.cfg.Upstream, err)
		return
	}
	if !f.track(up) {
		return
	}
	defer f.untrack(up)
	s := &session{
		f: f, client: client, clientR: bufio.NewReaderSize(client, 1<<16), clientW: bufio.NewWriterSize(client, 1<<16),
		up: up, upR: bufio.NewReaderSize(up, 1<<16), held: make(chan packet, 1),
	}
	if err := s.handshake(); err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			f.logf("adbfront: handshake: %v", err)
		}
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.relayUp()
		close(s.held)      // relayUp was its only sender: a waiting forward ends
		_ = client.Close() // the upstream side ended: end the client's too
	}()
	s.commands()
	_ = up.Close()
	<-done
}

// handshake relays the connection phase, reading the client's capabilities
// and default database on the way, until MariaDB answers OK or ERR.
func (s *session) handshake() error {
	greeting, err := readPacket(s.upR)
	if err != nil {
		return fmt.Errorf("reading the server greeting: %w", err)
	}
	serverCaps, err := greetingCaps(greeting.payload)
	if err != nil {
		return err
	}
	if m := s.f.mysql; m != nil {
		if greeting.payload, err = greetingVersion(greeting.payload, m.version.String()); err != nil {
			return err
		}
	}
	if err := s.toClient(greeting); err != nil {
		return err
	}
	resp, err := readPacket(s.clientR)
	if err != nil {
		return err
	}
	h, err := parseHandshakeResponse(resp.payload)
	if err != nil {
		s.f.logf("adbfront: %v; the front knows no default database for this client", err)
	}
	s.caps, s.db = h.caps&serverCaps, h.db
	if _, err := writePacket(s.up, resp.seq, resp.payload); err != nil {
		return err
	}
	for {
		p, err := readPacket(s.upR)
		if err != nil {
			return err
		}
		if err := s.toClient(p); err != nil {
			return err
		}
		switch {
		case len(p.payload) == 0:
			return fmt.Errorf("empty packet during authentication")
		case p.payload[0] == 0x00:
			return nil
		case p.payload[0] == 0xff:
			return io.EOF
		case p.payload[0] == 0x01 && len(p.payload) == 2 && p.payload[1] == 0x03:
			continue // fast authentication succeeded: OK follows
		}
		// Auth switch or more authentication data: the client answers.
		c, err := readPacket(s.clientR)
		if err != nil {
			return err
		}
		if _, err := writePacket(s.up, c.seq, c.payload); err != nil {
			return err
		}
	}
}

// toClient writes one logical packet to the client and flushes.
func (s *session) toClient(p packet) error {
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	if _, err := writePacket(s.clientW, p.seq, p.payload); err != nil {
		return err
	}
	return s.clientW.Flush()
}

// relayUp copies upstream packets to the client, renumbered by seqDelta,
// until either side closes. It flushes whenever no more upstream bytes are
// buffered, so large result sets stream in big writes.
func (s *session) relayUp() {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(s.upR, hdr[:]); err != nil {
			return
		}
		if s.hold.Load() {
			p, err := readRestOfPacket(s.upR, hdr)
			if err != nil {
				return
			}
			s.hold.Store(false)
			s.held <- p
			continue
		}
		n := int64(hdr[0]) | int64(hdr[1])<<8 | int64(hdr[2])<<16
		hdr[3] -= byte(s.seqDelta.Load())
		s.clientMu.Lock()
		_, err := s.clientW.Write(hdr[:])
		if err == nil {
			_, err = io.CopyN(s.clientW, s.upR, n)
		}
		if err == nil && s.upR.Buffered() == 0 {
			err = s.clientW.Flush()
		}
		s.clientMu.Unlock()
		if err != nil {
			return
		}
	}
}

// commands reads client packets until the client leaves. A packet with
// sequence number 0 starts a command; any other packet belongs to the
// command before it (LOAD DATA LOCAL file data) and is relayed, renumbered.
func (s *session) commands() {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(s.clientR, hdr[:]); err != nil {
			return
		}
		if hdr[3] != 0 {
			n := int64(hdr[0]) | int64(hdr[1])<<8 | int64(hdr[2])<<16
			hdr[3] += byte(s.seqDelta.Load())
			if _, err := s.up.Write(hdr[:]); err != nil {
				return
			}
			if _, err := io.CopyN(s.up, s.clientR, n); err != nil {
				return
			}
			continue
		}
		p, err := readRestOfPacket(s.clientR, hdr)
		if err != nil {
			return
		}
		if err := s.command(p); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.f.logf("adbfront: %v", err)
			}
			return
		}
	}
}

// readRestOfPacket reads the payload of a packet whose header is read.
func readRestOfPacket(r *bufio.Reader, hdr [4]byte) (packet, error) {
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	p := packet{seq: hdr[3], count: 1, payload: make([]byte, n)}
	if _, err := io.ReadFull(r, p.payload); err != nil {
		return p, err
	}
	if n == maxPayload {
		more, err := readPacket(r)
		if err != nil {
			return p, err
		}
		p.count += more.count
		p.payload = append(p.payload, more.payload...)
	}
	return p, nil
}

// command handles one client command.
func (s *session) command(p packet) error {
	if len(p.payload) == 0 {
		return s.forward(p, p.payload, nil)
	}
	switch p.payload[0] {
	case comQuit:
		_, _ = writePacket(s.up, p.seq, p.payload)
		return io.EOF
	case comInitDB:
		db := string(p.payload[1:])
		return s.forward(p, p.payload, []action{func(context.Context, *session) error { s.db = db; return nil }})
	case comQuery, comStmtPrepare:
	default:
		return s.forward(p, p.payload, nil)
	}
	st := newStatement(string(p.payload[1:]), s.db, p.payload[0] == comStmtPrepare)
	if s.f.mysql != nil {
		return s.mysqlCommand(p, st)
	}
	st.primaryKey = s.f.primaryKey
	if st.creates() == "TABLE" || st.first("RENAME") {
		s.f.pks.Clear()
	}
	for _, r := range Rules {
		if err := r.apply(st, s.f.cfg.Switches); err != nil {
			return s.ruleError(p, "rule "+r.Name, err)
		}
	}
	if st.first("USE") && len(st.toks) >= 2 {
		db := st.toks[1].name()
		st.after = append(st.after, func(context.Context, *session) error { s.db = db; return nil })
	}
	if st.prepare {
		// The answer to a prepare is not the statement's: nothing ran yet.
		st.after = nil
	}
	if st.answer != nil {
		return s.answer(p, st.answer)
	}
	text, err := st.finalText()
	if err != nil {
		return s.toClient(packet{seq: p.seq + byte(p.count), payload: errPayload(1105, "HY000", "adbfront: "+err.Error())})
	}
	payload := p.payload
	if text != st.original {
		s.f.logf("adbfront: rewrote %.200q as %.200q", st.original, text)
		payload = append([]byte{p.payload[0]}, text...)
	}
	return s.forward(p, payload, st.after)
}

// forward sends payload upstream as the command p. With after actions, the
// front holds MariaDB's first answer packet, runs the actions if it is OK,
// and only then passes it on: so a client never sees a CREATE TABLE succeed
// before the front has recorded what it must.
func (s *session) forward(p packet, payload []byte, after []action) error {
	// Both are set before MariaDB can answer: relayUp reads them then.
	s.seqDelta.Store(int32(len(payload)/maxPayload + 1 - p.count))
	s.hold.Store(len(after) > 0)
	if _, err := writePacket(s.up, p.seq, payload); err != nil {
		return err
	}
	if len(after) == 0 {
		return nil
	}
	reply, ok := <-s.held
	if !ok {
		return io.EOF // MariaDB closed the connection
	}
	if len(reply.payload) > 0 && reply.payload[0] == 0x00 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, a := range after {
			if err := a(ctx, s); err != nil {
				s.f.logf("adbfront: after %.200q: %v", payload[1:], err)
				reply.payload = errPayload(1105, "HY000", fmt.Sprintf("adbfront: MariaDB accepted the statement, but the front failed to record it: %v", err))
				break
			}
		}
	}
	reply.seq -= byte(s.seqDelta.Load())
	return s.toClient(reply)
}

// primaryKey returns the first primary key column of ref, cached.
func (f *Front) primaryKey(ref tableRef) (string, error) {
	if v, ok := f.pks.Load(ref); ok {
		return v.(string), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var col string
	err := f.admin.QueryRowContext(ctx, "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX LIMIT 1",
		ref.Schema, ref.Table).Scan(&col)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the primary key of %s: %w", ref, err)
	}
	f.pks.Store(ref, col)
	return col, nil
}

// answer writes a result the front computed itself (SHOW CREATE TABLE).
func (s *session) answer(p packet, a answerFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seq := p.seq + byte(p.count)
	columns, rows, err := a(ctx, s)
	if err != nil {
		code, state, msg := uint16(1105), "HY000", err.Error()
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			code, state, msg = me.Number, string(me.SQLState[:]), me.Message
		}
		return s.toClient(packet{seq: seq, payload: errPayload(code, state, msg)})
	}
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	for _, payload := range textResult(s.caps&clientDeprecateEOF != 0, columns, rows) {
		n, err := writePacket(s.clientW, seq, payload)
		if err != nil {
			return err
		}
		seq += byte(n)
	}
	return s.clientW.Flush()
}

// ruleError answers command p with what rule (named as "rule x") returned: its refusal, or
// error 1105 for the front's own failure.
func (s *session) ruleError(p packet, rule string, err error) error {
	seq := p.seq + byte(p.count)
	var refusal *Error
	if errors.As(err, &refusal) {
		s.f.logf("adbfront: refused by %s: %s", rule, refusal.Message)
		return s.toClient(packet{seq: seq, payload: errPayload(refusal.Code, refusal.State, refusal.Message)})
	}
	s.f.logf("adbfront: %s failed: %v", rule, err)
	return s.toClient(packet{seq: seq, payload: errPayload(1105, "HY000", fmt.Sprintf("[adbfront] %s failed: %v", rule, err))})
}

// mysqlCommand runs a COM_QUERY or COM_STMT_PREPARE statement through MySQLRules and
// forwards what is left of it, or answers the refusal.
func (s *session) mysqlCommand(p packet, st *statement) error {
	for _, r := range MySQLRules {
		acted, err := r.apply(st, *s.f.mysql)
		if acted {
			s.f.hit(r.Name)
		}
		if err != nil {
			return s.ruleError(p, "MySQL rule "+r.Name, err)
		}
	}
	payload := p.payload
	if st.text != st.original {
		s.f.logf("adbfront: rewrote %.200q as %.200q", st.original, st.text)
		payload = append([]byte{p.payload[0]}, st.text...)
	}
	return s.forward(p, payload, nil)
}
