// Package dbconn opens connections to MySQL-compatible servers the way every part of the
// engine needs them, and learns what a server is (version, flavor, binlog settings).
package dbconn

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

// DatabaseType is the kind of database an Endpoint reaches (dialect defines it).
type DatabaseType = dialect.DatabaseType

// Database types, as the HCL and the runner API name them (dialect defines them).
const (
	TypeADBMySQL3 = dialect.ADBMySQL
	TypeMySQL     = dialect.MySQL
	TypeMariaDB   = dialect.MariaDB
)

// TLS modes of an Endpoint.
const (
	TLSDisabled       = "disabled"
	TLSPreferred      = "preferred"
	TLSRequired       = "required"
	TLSVerifyIdentity = "verify_identity"
)

// Endpoint says how to reach one database server. It carries a password: never log it.
type Endpoint struct {
	Type     dialect.DatabaseType
	Host     string
	Port     int
	User     string
	Password string
	TLSMode  string
	CAPEM    string
}

// String names the endpoint for messages, without the password.
func (e Endpoint) String() string {
	return fmt.Sprintf("%s@%s", e.User, net.JoinHostPort(e.Host, strconv.Itoa(e.Port)))
}

// Open returns a pool for the endpoint with database as the default schema ("" for none).
// Every session runs in UTC, with utf8mb4, and sends values in the text protocol
// (interpolated parameters), so rows are read and written byte for byte.
func Open(ep Endpoint, database string) (*sql.DB, error) {
	cfg, err := config(ep, database)
	if err != nil {
		return nil, err
	}
	return openConfig(ep, cfg)
}

// SQL modes of writer sessions. WriterSQLMode is strict, so that a value the destination
// column cannot hold fails its statement instead of being clipped, while it still takes
// what the source legitimately holds: explicit zeros in AUTO_INCREMENT columns, zero dates
// and zero parts in dates (no NO_ZERO_DATE, NO_ZERO_IN_DATE), and invalid dates a source
// allowed (ALLOW_INVALID_DATES). RelaxedSQLMode drops strictness for the one value strict
// mode cannot take, an ENUM's error value (index 0, read as ”): a statement that writes
// one runs in it, and its writer accepts exactly one warning per such value.
const (
	WriterSQLMode  = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES"
	RelaxedSQLMode = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES"
)

// OpenWriter is Open for sessions that write migrated rows: foreign key checks are off,
// and the SQL mode is WriterSQLMode.
func OpenWriter(ep Endpoint, database string) (*sql.DB, error) {
	cfg, err := config(ep, database)
	if err != nil {
		return nil, err
	}
	cfg.Params["foreign_key_checks"] = "0"
	cfg.Params["sql_mode"] = "'" + WriterSQLMode + "'"
	// Keep every warning of a statement (the default keeps 64): the writers read them all.
	cfg.Params["max_error_count"] = "65535"
	return openConfig(ep, cfg)
}

func openConfig(ep Endpoint, cfg *mysql.Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("connection settings for %s: %w", ep, err)
	}
	db := sql.OpenDB(conn)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetMaxIdleConns(8)
	return db, nil
}

func config(ep Endpoint, database string) (*mysql.Config, error) {
	cfg := mysql.NewConfig()
	cfg.User = ep.User
	cfg.Passwd = ep.Password
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port))
	cfg.DBName = database
	cfg.Collation = "utf8mb4_general_ci"
	cfg.Loc = time.UTC
	cfg.ParseTime = false
	cfg.InterpolateParams = true
	cfg.Timeout = 10 * time.Second
	cfg.ReadTimeout = 10 * time.Minute
	cfg.WriteTimeout = 10 * time.Minute
	cfg.AllowNativePasswords = true
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	tlsName, err := tlsConfigName(ep)
	if err != nil {
		return nil, err
	}
	cfg.TLSConfig = tlsName
	return cfg, nil
}

var tlsRegistered sync.Map // name -> struct{}

// tlsConfigName maps the endpoint's TLS mode to a go-sql-driver tls parameter,
// registering a custom configuration when the mode needs one.
func tlsConfigName(ep Endpoint) (string, error) {
	switch ep.TLSMode {
	case "", TLSDisabled:
		return "false", nil
	case TLSPreferred:
		return "preferred", nil
	case TLSRequired, TLSVerifyIdentity:
	default:
		return "", fmt.Errorf("tls mode %q is not one of disabled, preferred, required, verify_identity", ep.TLSMode)
	}
	sum := sha256.Sum256([]byte(ep.TLSMode + "\x00" + ep.Host + "\x00" + ep.CAPEM))
	name := "adbm-" + hex.EncodeToString(sum[:8])
	if _, ok := tlsRegistered.Load(name); ok {
		return name, nil
	}
	tc, err := TLSConfig(ep)
	if err != nil {
		return "", err
	}
	if err := mysql.RegisterTLSConfig(name, tc); err != nil {
		return "", fmt.Errorf("registering TLS settings: %w", err)
	}
	tlsRegistered.Store(name, struct{}{})
	return name, nil
}

// TLSConfig is the TLS configuration of a connection to ep: nil for disabled; for required
// and preferred one that encrypts without verifying the server, like the MySQL client's
// REQUIRED and PREFERRED (preferred uses it only when the server offers TLS); for
// verify_identity one that verifies the server's certificate and name against ca_pem (the
// system's roots without it). The SQL connections and the binlog stream both take it.
func TLSConfig(ep Endpoint) (*tls.Config, error) {
	if ep.TLSMode == "" || ep.TLSMode == TLSDisabled {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: ep.Host}
	if ep.TLSMode != TLSVerifyIdentity {
		tc.InsecureSkipVerify = true
	} else if ep.CAPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(ep.CAPEM)) {
			return nil, errors.New("tls ca_pem holds no PEM certificate: paste the CA bundle that signed the server's certificate")
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Facts is what a server says about itself.
type Facts struct {
	ServerVersion  string
	Flavor         dialect.DatabaseType // mysql or mariadb
	BinlogEnabled  bool
	BinlogFormat   string
	BinlogRowImage string
	GTIDMode       string
}

// Probe connects to the endpoint and reads its Facts. Its error says why a connection
// failed in words a user can act on (see Explain).
func Probe(ctx context.Context, ep Endpoint) (Facts, error) {
	db, err := Open(ep, "")
	if err != nil {
		return Facts{}, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return Facts{}, Explain(ep, err)
	}
	return ReadFacts(ctx, db, ep.Type)
}

// ReadFacts reads a server's Facts over an open pool.
func ReadFacts(ctx context.Context, db *sql.DB, declaredType dialect.DatabaseType) (Facts, error) {
	var f Facts
	var logBin int
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@log_bin, @@binlog_format, @@binlog_row_image").
		Scan(&f.ServerVersion, &logBin, &f.BinlogFormat, &f.BinlogRowImage); err != nil {
		return Facts{}, fmt.Errorf("reading server variables: %w", err)
	}
	f.BinlogEnabled = logBin == 1
	f.Flavor = FlavorOf(f.ServerVersion)
	if f.Flavor == TypeMariaDB {
		// MariaDB always writes GTIDs to its binlog.
		f.GTIDMode = "OFF"
		if f.BinlogEnabled {
			f.GTIDMode = "ON"
		}
	} else if err := db.QueryRowContext(ctx, "SELECT @@gtid_mode").Scan(&f.GTIDMode); err != nil {
		f.GTIDMode = "OFF"
	}
	switch {
	case declaredType == TypeMySQL && f.Flavor == TypeMariaDB:
		return f, fmt.Errorf("database_type is %q but the server reports MariaDB %s: set database_type = %q", declaredType, f.ServerVersion, TypeMariaDB)
	case declaredType == TypeMariaDB && f.Flavor == TypeMySQL:
		return f, fmt.Errorf("database_type is %q but the server reports MySQL %s: set database_type = %q", declaredType, f.ServerVersion, TypeMySQL)
	}
	return f, nil
}

// FlavorOf tells MariaDB from MySQL by the version string.
func FlavorOf(version string) dialect.DatabaseType {
	for i := 0; i+7 <= len(version); i++ {
		if version[i:i+7] == "MariaDB" {
			return TypeMariaDB
		}
	}
	return TypeMySQL
}

// Explain turns a connection error into one that names the cause and the fix.
func Explain(ep Endpoint, err error) error {
	var myErr *mysql.MySQLError
	var netErr net.Error
	var tlsErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &myErr) && (myErr.Number == 1045 || myErr.Number == 1698):
		return fmt.Errorf("authentication failed for %s: the server rejected the username or password; check username and password (%w)", ep, err)
	case errors.As(err, &myErr) && myErr.Number == 1130:
		return fmt.Errorf("host not allowed for %s: the server does not accept this user from the runner's address; grant the user access from the runner's host (%w)", ep, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused by %s: nothing listens on that port; check host, port and that the server is running (%w)", ep, err)
	case errors.As(err, &tlsErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return fmt.Errorf("TLS verification failed for %s: check tls.ca_pem and that the server certificate names the host (%w)", ep, err)
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("connection to %s timed out: check the address and that firewalls allow the runner to reach it (%w)", ep, err)
	case errors.Is(err, mysql.ErrNoTLS):
		return fmt.Errorf("TLS is required but %s does not offer it: enable TLS on the server or set tls.mode = \"preferred\" (%w)", ep, err)
	}
	return fmt.Errorf("cannot connect to %s: %w", ep, err)
}

// ProcessIDs returns the Id column of SHOW PROCESSLIST read through q (a *sql.DB or
// *sql.Conn), found by its name.
func ProcessIDs(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SHOW PROCESSLIST")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	idCol := slices.IndexFunc(cols, func(c string) bool { return strings.EqualFold(c, "Id") })
	if idCol < 0 {
		return nil, fmt.Errorf("SHOW PROCESSLIST has no Id column (columns %s)", strings.Join(cols, ", "))
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var ids []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		ids = append(ids, string(vals[idCol]))
	}
	return ids, rows.Err()
}

// Strings runs a query and returns the first column of every row.
func Strings(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
