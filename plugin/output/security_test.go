package output

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// connectErr builds a sink and returns what Connect says, bounded in time.
func connectErr(t *testing.T, yaml string) (time.Duration, error) {
	t.Helper()
	pc, err := Spec().ParseYAML(yaml, nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s, err := newSink(pc, service.MockResources())
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	defer s.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err = s.Connect(ctx)
	return time.Since(start), err
}

func TestSASLMechanisms(t *testing.T) {
	c := kafkatest.Cluster(t,
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-user", "plain-pass"),
		kfake.Superuser("SCRAM-SHA-256", "scram256-user", "scram256-pass"),
		kfake.Superuser("SCRAM-SHA-512", "scram512-user", "scram512-pass"),
		kfake.SeedTopics(1, "secure"),
	)
	for _, tc := range []struct{ mech, user, pass string }{
		{"PLAIN", "plain-user", "plain-pass"},
		{"SCRAM-SHA-256", "scram256-user", "scram256-pass"},
		{"SCRAM-SHA-512", "scram512-user", "scram512-pass"},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			conf := fmt.Sprintf(`
seed_brokers: [ %s ]
topic: secure
sasl:
  - mechanism: %s
    username: %s
    password: %%s
`, kafkatest.Brokers(c), tc.mech, tc.user)
			s := newTestSink(t, fmt.Sprintf(conf, tc.pass))
			if failed, err := write(t, s, service.MessageBatch{msg("via " + tc.mech)}); err != nil || failed != nil {
				t.Fatalf("write: %v %v", err, failed)
			}

			took, err := connectErr(t, fmt.Sprintf(conf, "wrong-password"))
			if err == nil {
				t.Fatal("connected with a wrong password")
			}
			if took > 15*time.Second {
				t.Errorf("wrong credentials took %v to report", took)
			}
			if !strings.Contains(err.Error(), "cannot reach Kafka at") || !strings.Contains(strings.ToUpper(err.Error()), "SASL") {
				t.Errorf("unclear error for wrong credentials: %v", err)
			}
			t.Logf("wrong %s password: %v", tc.mech, err)
		})
	}
	var got []string
	for _, r := range kafkatest.ReadAll(t, c, "secure", kafkaSASL("plain-user", "plain-pass")...) {
		got = append(got, string(r.Value))
	}
	if fmt.Sprint(got) != "[via PLAIN via SCRAM-SHA-256 via SCRAM-SHA-512]" {
		t.Errorf("topic holds %v", got)
	}
}

func TestMutualTLS(t *testing.T) {
	pki := kafkatest.NewPKI(t)
	c := kafkatest.Cluster(t, kfake.TLS(pki.ServerTLS(t)), kfake.SeedTopics(1, "secure"))
	indent := func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n        ") }
	good := fmt.Sprintf(`
seed_brokers: [ %s ]
topic: secure
tls:
  enabled: true
  root_cas: |
        %s
  client_certs:
    - cert: |
        %s
      key: |
        %s
`, kafkatest.Brokers(c), indent(pki.CAPEM), indent(pki.ClientCertPEM), indent(pki.ClientKey))
	s := newTestSink(t, good)
	if failed, err := write(t, s, service.MessageBatch{msg("over mTLS")}); err != nil || failed != nil {
		t.Fatalf("write: %v %v", err, failed)
	}

	// Without our CA the broker's certificate is not trusted.
	took, err := connectErr(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: secure
tls:
  enabled: true
dial_timeout: 2s
`, kafkatest.Brokers(c)))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted server certificate: %v", err)
	}
	if took > 15*time.Second {
		t.Errorf("untrusted certificate took %v to report", took)
	}
	// Plain text against a TLS listener fails too, without hanging.
	took, err = connectErr(t, fmt.Sprintf("seed_brokers: [ %s ]\ntopic: secure\ndial_timeout: 2s\n", kafkatest.Brokers(c)))
	if err == nil || took > 15*time.Second {
		t.Errorf("plain text to a TLS broker: err=%v after %v", err, took)
	}
}
