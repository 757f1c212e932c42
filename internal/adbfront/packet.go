package adbfront

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// The MySQL client/server protocol, as far as the front reads or writes it.
// A packet is a 3-byte little-endian payload length, a sequence byte and the
// payload; a payload of 0xffffff bytes or more continues in the next packet.

const (
	maxPayload = 1<<24 - 1

	comQuit        = 0x01
	comInitDB      = 0x02
	comQuery       = 0x03
	comStmtPrepare = 0x16

	clientConnectWithDB = 0x00000008
	clientCompress      = 0x00000020
	clientProtocol41    = 0x00000200
	clientSSL           = 0x00000800
	clientSecureConn    = 0x00008000
	clientAuthLenenc    = 0x00200000
	clientDeprecateEOF  = 0x01000000

	serverStatusAutocommit = 0x0002

	charsetUTF8MB4 = 45
	typeVarString  = 0xfd
)

// packet is one logical packet: its payload, with the sequence number of its
// first physical packet and how many physical packets carried it.
type packet struct {
	seq     byte
	count   int
	payload []byte
}

// readPacket reads one logical packet (joining continuation packets).
func readPacket(r *bufio.Reader) (packet, error) {
	var p packet
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return p, err
		}
		n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
		if p.count == 0 {
			p.seq = hdr[3]
		}
		p.count++
		start := len(p.payload)
		p.payload = append(p.payload, make([]byte, n)...)
		if _, err := io.ReadFull(r, p.payload[start:]); err != nil {
			return p, err
		}
		if n < maxPayload {
			return p, nil
		}
	}
}

// writePacket writes payload as one logical packet starting at sequence seq
// and returns how many physical packets it took.
func writePacket(w io.Writer, seq byte, payload []byte) (int, error) {
	count := 0
	for {
		n := min(len(payload), maxPayload)
		hdr := []byte{byte(n), byte(n >> 8), byte(n >> 16), seq}
		if _, err := w.Write(hdr); err != nil {
			return count, err
		}
		if _, err := w.Write(payload[:n]); err != nil {
			return count, err
		}
		count++
		seq++
		payload = payload[n:]
		if n < maxPayload {
			return count, nil
		}
	}
}

// errPayload is an ERR packet.
func errPayload(code uint16, state, msg string) []byte {
	b := []byte{0xff, byte(code), byte(code >> 8), '#'}
	b = append(b, fmt.Sprintf("%-5.5s", state)...)
	return append(b, msg...)
}

// eofPayload is an EOF packet (without CLIENT_DEPRECATE_EOF) or the OK packet
// that ends a result set (with it).
func eofPayload(deprecateEOF bool) []byte {
	if deprecateEOF {
		return []byte{0xfe, 0, 0, serverStatusAutocommit, 0, 0, 0}
	}
	return []byte{0xfe, 0, 0, serverStatusAutocommit, 0}
}

func appendLenencInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	default:
		b = append(b, 0xfe)
		return binary.LittleEndian.AppendUint64(b, n)
	}
}

func appendLenencString(b []byte, s string) []byte {
	return append(appendLenencInt(b, uint64(len(s))), s...)
}

// textResult encodes a text-protocol result set of string columns as the
// payloads of its packets, in order.
func textResult(deprecateEOF bool, columns []string, rows [][]string) [][]byte {
	out := [][]byte{appendLenencInt(nil, uint64(len(columns)))}
	for _, name := range columns {
		c := appendLenencString(nil, "def")
		for range 3 { // schema, table, org_table
			c = appendLenencString(c, "")
		}
		c = appendLenencString(c, name)
		c = appendLenencString(c, name)
		c = append(c, 0x0c, charsetUTF8MB4, 0)
		c = binary.LittleEndian.AppendUint32(c, 1<<24)
		c = append(c, typeVarString, 0, 0, 0x1f, 0, 0)
		out = append(out, c)
	}
	if !deprecateEOF {
		out = append(out, eofPayload(false))
	}
	for _, row := range rows {
		var r []byte
		for _, v := range row {
			r = appendLenencString(r, v)
		}
		out = append(out, r)
	}
	return append(out, eofPayload(deprecateEOF))
}

// handshakeResponse is what the front reads from a client's handshake
// response: its capability flags and the database it connects to.
type handshakeResponse struct {
	caps uint32
	db   string
}

// parseHandshakeResponse reads a HandshakeResponse41 payload. A payload it
// cannot read yields the zero value and an error; the front then still
// relays the handshake but knows no default database.
func parseHandshakeResponse(p []byte) (handshakeResponse, error) {
	var h handshakeResponse
	if len(p) < 32 {
		return h, fmt.Errorf("handshake response of %d bytes", len(p))
	}
	h.caps = binary.LittleEndian.Uint32(p)
	if h.caps&clientProtocol41 == 0 {
		return h, fmt.Errorf("pre-4.1 handshake response")
	}
	rest := p[32:]
	i := indexByte(rest, 0) // user name
	if i < 0 {
		return h, fmt.Errorf("handshake response without a user name")
	}
	rest = rest[i+1:]
	switch {
	case h.caps&clientAuthLenenc != 0:
		n, w := readLenencInt(rest)
		if w == 0 || int(n)+w > len(rest) {
			return h, fmt.Errorf("handshake response with a short auth response")
		}
		rest = rest[w+int(n):]
	case h.caps&clientSecureConn != 0:
		if len(rest) < 1 || int(rest[0])+1 > len(rest) {
			return h, fmt.Errorf("handshake response with a short auth response")
		}
		rest = rest[1+int(rest[0]):]
	default:
		if i = indexByte(rest, 0); i < 0 {
			return h, fmt.Errorf("handshake response with an unterminated auth response")
		}
		rest = rest[i+1:]
	}
	if h.caps&clientConnectWithDB != 0 {
		if i = indexByte(rest, 0); i >= 0 {
			h.db = string(rest[:i])
		}
	}
	return h, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// readLenencInt returns a length-encoded integer and its width (0 if b is
// too short).
func readLenencInt(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch b[0] {
	case 0xfc:
		if len(b) < 3 {
			return 0, 0
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), 3
	case 0xfd:
		if len(b) < 4 {
			return 0, 0
		}
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4
	case 0xfe:
		if len(b) < 9 {
			return 0, 0
		}
		return binary.LittleEndian.Uint64(b[1:]), 9
	default:
		return uint64(b[0]), 1
	}
}

// greetingCaps clears the capability bits the front does not carry in a
// server greeting (HandshakeV10): TLS, compression, and MariaDB's extended
// capabilities (cached metadata, extended type info, bulk operations), so
// clients speak the plain MySQL protocol, as they would to AnalyticDB. It
// returns the server's capability flags after the change.
func greetingCaps(p []byte) (uint32, error) {
	if len(p) < 1 || p[0] != 10 {
		return 0, fmt.Errorf("server greeting is not protocol version 10")
	}
	i := indexByte(p[1:], 0) // server version
	if i < 0 {
		return 0, fmt.Errorf("server greeting without a version")
	}
	off := 1 + i + 1 + 4 + 8 + 1 // version NUL, connection id, auth data 1, filler
	if len(p) < off+2 {
		return 0, fmt.Errorf("server greeting of %d bytes", len(p))
	}
	lower := binary.LittleEndian.Uint16(p[off:]) &^ uint16(clientSSL|clientCompress)
	binary.LittleEndian.PutUint16(p[off:], lower)
	caps := uint32(lower)
	if len(p) >= off+7 {
		caps |= uint32(binary.LittleEndian.Uint16(p[off+5:])) << 16
	}
	// Status 2, upper capabilities 2, auth data length 1, filler 6, then
	// MariaDB's extended capabilities when CLIENT_MYSQL (bit 0) is clear.
	if lower&1 == 0 && len(p) >= off+18 {
		binary.LittleEndian.PutUint32(p[off+14:], 0)
	}
	return caps, nil
}
