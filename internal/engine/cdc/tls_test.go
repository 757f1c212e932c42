package cdc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// selfSignedPEM is a CA certificate in PEM, made for the test.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// The binlog stream is encrypted as the SQL connections are: verify_identity verifies
// against the connection's ca_pem, required encrypts, and preferred encrypts when the
// source offered TLS to the SQL connection.
func TestBinlogTLSFollowsTheConnection(t *testing.T) {
	ca := selfSignedPEM(t)
	ep := dbconn.Endpoint{Type: dbconn.TypeMySQL, Host: "db.example.com", Port: 3306, TLSMode: dbconn.TLSVerifyIdentity, CAPEM: ca}
	sc := syncerConfig(Config{Source: ep})
	if sc.TLSConfig == nil || sc.TLSConfig.InsecureSkipVerify || sc.TLSConfig.RootCAs == nil || sc.TLSConfig.ServerName != "db.example.com" {
		t.Errorf("verify_identity with ca_pem: TLS config %+v, want verification against the CA", sc.TLSConfig)
	}
	ep.TLSMode = dbconn.TLSRequired
	if sc := syncerConfig(Config{Source: ep}); sc.TLSConfig == nil || !sc.TLSConfig.InsecureSkipVerify {
		t.Errorf("required: TLS config %+v, want encryption without verification", sc.TLSConfig)
	}
	ep.TLSMode = dbconn.TLSPreferred
	if sc := syncerConfig(Config{Source: ep, sourceOffersTLS: true}); sc.TLSConfig == nil {
		t.Error("preferred, the source offering TLS: the binlog is streamed without TLS")
	}
	if sc := syncerConfig(Config{Source: ep}); sc.TLSConfig != nil {
		t.Error("preferred, the source offering no TLS: the binlog stream asks for TLS")
	}
	ep.TLSMode = dbconn.TLSDisabled
	if sc := syncerConfig(Config{Source: ep}); sc.TLSConfig != nil {
		t.Error("disabled: the binlog stream asks for TLS")
	}
}
