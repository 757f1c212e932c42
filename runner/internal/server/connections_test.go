package server

import (
	"errors"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

func TestValidateConnectionTLS(t *testing.T) {
	spec := func(tls *api.TLSConfig) api.ConnectionSpec {
		return api.ConnectionSpec{Name: "a", DatabaseType: api.DatabaseMariaDB, Host: "h", Port: 3306, Username: "u", TLS: tls}
	}
	for _, tls := range []*api.TLSConfig{nil, {Mode: "disabled"}, {Mode: "required"}, {Mode: "verify_identity"}} {
		if err := validateConnection(spec(tls)); err != nil {
			t.Errorf("tls %+v refused: %v", tls, err)
		}
	}
	for _, c := range []struct {
		tls   *api.TLSConfig
		field string
	}{
		{&api.TLSConfig{Mode: ""}, "tls.mode"},
		{&api.TLSConfig{Mode: "strict"}, "tls.mode"},
		{&api.TLSConfig{Mode: "required", CAPEM: "-----BEGIN CERTIFICATE-----"}, "tls.ca_pem"},
		{&api.TLSConfig{Mode: "verify_identity", CAPEM: "not a certificate"}, "tls.ca_pem"},
	} {
		var ae *apiError
		if err := validateConnection(spec(c.tls)); !errors.As(err, &ae) || ae.field != c.field || ae.status != 400 {
			t.Errorf("tls %+v: got %v, want 400 naming %s", c.tls, err, c.field)
		}
	}
}
