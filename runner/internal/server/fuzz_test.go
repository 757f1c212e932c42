package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// The fuzzers feed arbitrary bodies to the request decoder and the validation behind it.
// Whatever the input, they require no panic, and an error that is an *apiError with a 4xx
// status and a message; validation errors also name the field. A body that is accepted must
// survive a round trip through JSON unchanged and be accepted again.
//
// `go test` runs only the seeds below; `go test -fuzz FuzzDecodeTask ./runner/internal/server`
// explores further.

var connectionSeeds = []string{
	`{"name":"src","database_type":"mariadb","host":"127.0.0.1","port":3306,"username":"root","password":"pw"}`,
	`{"name":"adb","database_type":"adb_mysql3","host":"am-x.ads.aliyuncs.com","port":3306,"username":"u","tls":{"mode":"verify_identity","ca_pem":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},"region":"cn-hangzhou","instance_id":"am-x"}`,
	`{"name":"a","database_type":"mysql","host":"h","port":65535,"username":"u","tls":null}`,
	`{"name":"a","database_type":"mysql","host":"h","port":0,"username":"u"}`,
	`{"name":"a","database_type":"mysql","host":"h","port":1e400,"username":"u"}`,
	`{"name":"a","database_type":"mysql","host":"h","port":"3306","username":"u"}`,
	`{"name":"a","database_type":"mysql","host":"h","port":3306,"username":"u","tls":{"mode":"sometimes"}}`,
	`{"name":"a","database_type":"mysql","host":"h","port":3306,"username":"u","tls":{}}`,
	`{"name":"a","database_type":"MariaDB","host":"h","port":3306,"username":"u"}`,
	`{"name":"\u0000\ud800","database_type":"mariadb","host":"h","port":3306,"username":"u"}`,
	`{"name":"a","name":"b","database_type":"mariadb","host":"h","port":3306,"username":"u"}`,
	`{"Name":"a","DATABASE_TYPE":"mariadb","host":"h","port":3306,"username":"u"}`,
	`{"colour":"red"}`,
	`{"tls":{"mode":"required","extra":1}}`,
	`{} {}`,
	`{}garbage`,
	`[]`,
	`null`,
	`"string"`,
	``,
	"\xef\xbb\xbf{}",
	"{\"name\":\"\xff\xfe\"}",
	`{"name":`,
	`{"port":-1}`,
	`{"port":9223372036854775808}`,
}

var taskSeeds = []string{
	validTask,
	`{"name":"orders","source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["schema","full"],"objects":[{"database":"app","rename_to":"app2","tables":[{"name":"t","rename_to":"t2","where":"id > 10","columns":["id","v"],"column_renames":[{"name":"v","rename_to":"w"}],"table_type":"fact","primary_key":["id"],"distribution_key":["id"],"partition_key":"d","partition_rule":"day","partition_lifecycle":30}]}],"conflict_handling":"ignore_errors_and_proceed","merge_tables":true,"instance_class":"2xlarge","full_throttling":{"source_qps":10,"rps":1000,"mbps":1.5},"ignore_precheck_alerts":["binlog"],"desired_status":"stopped"}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["incremental"],"objects":[{"database":"app"}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-nope","migration_types":["full"],"objects":[{"database":"app"}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full","full"],"objects":[{"database":"app"}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"adbmigrate_meta"}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a","rename_to":"adbmigrate_meta"}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a"},{"database":"a"}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a","tables":[{"name":"t"},{"name":"t"}]}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a","tables":[{"name":"t","columns":["",""]}]}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a","tables":[{"name":"t","column_renames":[{"name":"a","rename_to":""}]}]}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a","tables":[{"name":"t","partition_lifecycle":-5}]}]}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a"}],"full_throttling":{"mbps":-0.5}}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a"}],"full_throttling":null,"instance_class":"toString"}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":null,"objects":null}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["schema","full","incremental"],"objects":[{"database":"a","tables":[{"name":"t","dml_operations":["insert","update"],"ddl_operations":["add_column"]}]}],"dml_operations":["insert","update","delete"],"ddl_operations":["add_column","drop_column"],"incremental_throttling":{"rps":10,"mbps":0.5},"retry_time_for_failed_connections":30,"retry_time_for_other_issues":29,"environment_tag":"staging","monitoring":{"on_failure":true,"latency_threshold_seconds":60,"webhook_url":"https://hooks.example.com/x"},"data_verification":{"mode":"sampled","sample_percent":10,"repair":true}}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a"}],"monitoring":{"webhook_url":"http://[::1"}}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a"}],"data_verification":{"mode":"sampled","sample_percent":0}}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["full"],"objects":[{"database":"a"}],"retry_time_for_failed_connections":10,"retry_time_for_other_issues":10}`,
	`{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["incremental"],"objects":[{"database":"a"}],"incremental_throttling":{"source_qps":1},"dml_operations":["insert","insert"]}`,
	`{"objects":[{"database":5}]}`,
	`{"objects":[{"database":"a","tables":[{"name":"t","colr":1}]}]}`,
	`{"migration_types":"full"}`,
	`{"source_connection_id":""}`,
	`{"objects":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	`[]`,
	`{} []`,
	``,
}

func FuzzDecodeConnection(f *testing.F) {
	for _, s := range connectionSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var spec api.ConnectionSpec
		if err := decode(request(body), &spec); err != nil {
			checkDecodeError(t, body, err)
			return
		}
		err := validateConnection(spec)
		if err != nil {
			checkValidationError(t, body, err)
		}
		var again api.ConnectionSpec
		roundTrip(t, spec, &again)
		if !reflect.DeepEqual(spec, again) {
			t.Fatalf("%q: decoded %+v, after a JSON round trip %+v", body, spec, again)
		}
		if err2 := validateConnection(again); (err == nil) != (err2 == nil) {
			t.Fatalf("%q: validation %v, after a round trip %v", body, err, err2)
		}
	})
}

func FuzzDecodeTask(f *testing.F) {
	for _, s := range taskSeeds {
		f.Add([]byte(s))
	}
	s, _ := newTestServer(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		var spec api.TaskSpec
		if err := decode(request(body), &spec); err != nil {
			checkDecodeError(t, body, err)
			return
		}
		err := s.validateTask(spec)
		if err != nil {
			checkValidationError(t, body, err)
		}
		var again api.TaskSpec
		roundTrip(t, spec, &again)
		// omitempty turns empty slices into absent fields; compare what validation sees.
		if a, b := mustJSON(t, spec), mustJSON(t, again); !bytes.Equal(a, b) {
			t.Fatalf("%q: decoded %s, after a JSON round trip %s", body, a, b)
		}
		if err2 := s.validateTask(again); (err == nil) != (err2 == nil) {
			t.Fatalf("%q: validation %v, after a round trip %v", body, err, err2)
		}
	})
}

func request(body []byte) *http.Request {
	return httptest.NewRequest("POST", "/v1/fuzz", bytes.NewReader(body))
}

func checkDecodeError(t *testing.T, body []byte, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) {
		t.Fatalf("%q: decode returned %T %v, want an *apiError", body, err, err)
	}
	if ae.status != http.StatusBadRequest && ae.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%q: decode status %d (%s), want 400 or 413", body, ae.status, ae.msg)
	}
	if ae.msg == "" {
		t.Fatalf("%q: decode error without a message", body)
	}
}

func checkValidationError(t *testing.T, body []byte, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) {
		t.Fatalf("%q: validation returned %T %v, want an *apiError", body, err, err)
	}
	if ae.status != http.StatusBadRequest && ae.status != http.StatusUnprocessableEntity {
		t.Fatalf("%q: validation status %d (%s), want 400 or 422", body, ae.status, ae.msg)
	}
	if ae.field == "" || ae.msg == "" {
		t.Fatalf("%q: validation error %q names no field", body, ae.msg)
	}
}

// roundTrip encodes v and decodes the result into out through decode, which must accept it.
func roundTrip(t *testing.T, v, out any) {
	t.Helper()
	b := mustJSON(t, v)
	if err := decode(request(b), out); err != nil {
		t.Fatalf("re-decoding %s: %v", b, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %+v: %v", v, err)
	}
	return b
}
