package avro

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const userV1 = `{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}`
const userV2 = `{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}`

func confluentCodecFor(t *testing.T, reg *srfake.Registry, c serde.Config) *confluentCodec {
	t.Helper()
	c.Type = "avro_confluent"
	c.Registry.URLs = []string{reg.URL()}
	codec, err := serde.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return codec.(*confluentCodec)
}

func TestConfluentHeader(t *testing.T) {
	got := confluent.AppendHeader(nil, 0x01020304)
	if !bytes.Equal(got, []byte{0, 1, 2, 3, 4}) {
		t.Fatalf("header %x", got)
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "no bytes, so no magic byte"},
		{[]byte{1, 2, 3}, "3 bytes, shorter than magic byte 0x01 and a 16-byte GUID"},
		{[]byte{0, 0, 0, 1}, "4 bytes, shorter"},
		{[]byte(`{"a":1}`), "magic byte is 0x7b, want 0x00 (schema ID) or 0x01 (schema GUID)"},
	} {
		if _, _, err := confluent.ParseHeader(tc.in); !errors.Is(err, serde.ErrWireFormat) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v", tc.in, err)
		}
	}
	id, body, err := confluent.ParseHeader([]byte{0, 0, 0, 0, 42, 7})
	if err != nil || id != 42 || !bytes.Equal(body, []byte{7}) {
		t.Errorf("parse: %d %x %v", id, body, err)
	}
}

func TestConfluentSubjectsAndRoundTrip(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		strategy string
		key      bool
		want     string
	}{
		{confluent.StrategyTopicName, false, "users-value"},
		{confluent.StrategyTopicName, true, "users-key"},
		{confluent.StrategyRecordName, false, "acme.User"},
		{confluent.StrategyTopicRecordName, true, "users-acme.User"},
	} {
		c := confluentCodecFor(t, reg, serde.Config{Schema: userV1, SubjectStrategy: tc.strategy, AutoRegister: true})
		tgt := serde.Target{Topic: "users", Key: tc.key}
		if got := c.SubjectFor(tgt); got != tc.want {
			t.Errorf("%s key=%v: subject %q, want %q", tc.strategy, tc.key, got, tc.want)
		}
		data, err := c.Serialize(ctx, tgt, []byte(`{"id":1,"name":"ann"}`))
		if err != nil {
			t.Fatal(err)
		}
		ss, ok := reg.GetSchema(tc.want, 1)
		if !ok {
			t.Fatalf("subject %s not registered", tc.want)
		}
		id, body, err := confluent.ParseHeader(data)
		if err != nil || id != ss.ID || !bytes.Equal(body, []byte{0x02, 0x06, 'a', 'n', 'n'}) {
			t.Errorf("wire bytes %x (id %d, registry id %d)", data, id, ss.ID)
		}
		out, err := c.Deserialize(ctx, tgt, data)
		if err != nil || string(out) != `{"id":1,"name":"ann"}` {
			t.Errorf("round trip %s %v", out, err)
		}
	}
	c := confluentCodecFor(t, reg, serde.Config{Schema: userV1, Subject: "explicit", AutoRegister: true})
	if got := c.SubjectFor(serde.Target{Topic: "users"}); got != "explicit" {
		t.Errorf("explicit subject %q", got)
	}
}

func TestConfluentAutoRegisterOff(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := confluentCodecFor(t, reg, serde.Config{Schema: userV1, AutoRegister: false})
	_, err := c.Serialize(context.Background(), serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`))
	if err == nil || !strings.Contains(err.Error(), `under subject "t-value" (auto_register is off)`) || errors.Is(err, serde.ErrRegistryUnavailable) {
		t.Fatalf("unregistered schema: %v", err)
	}
	if _, _, err := reg.RegisterSchema("t-value", sr.Schema{Schema: userV1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Serialize(context.Background(), serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`)); err != nil {
		t.Fatalf("after registering by hand: %v", err)
	}
	if reg.SubjectExists("t-key") {
		t.Error("a subject was created with auto_register off")
	}
}

// use_latest encodes with the subject's newest schema, not the local one,
// and picks up a new version after the refresh period.
func TestConfluentUseLatestAndEvolution(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	id1, _, err := reg.RegisterSchema("u-value", sr.Schema{Schema: userV1})
	if err != nil {
		t.Fatal(err)
	}
	latest := confluentCodecFor(t, reg, serde.Config{UseLatest: true, LatestRefresh: 1})
	old, err := latest.Serialize(ctx, serde.Target{Topic: "u"}, []byte(`{"id":5,"name":"bo"}`))
	if err != nil {
		t.Fatal(err)
	}
	if id, _, _ := confluent.ParseHeader(old); id != id1 {
		t.Errorf("encoded with id %d, want latest %d", id, id1)
	}
	id2, _, err := reg.RegisterSchema("u-value", sr.Schema{Schema: userV2})
	if err != nil {
		t.Fatal(err)
	}
	newer, err := latest.Serialize(ctx, serde.Target{Topic: "u"}, []byte(`{"id":6,"name":"cy","email":"c@y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if id, _, _ := confluent.ParseHeader(newer); id != id2 {
		t.Errorf("after a new version, encoded with id %d, want %d", id, id2)
	}

	// A consumer with the v2 reader schema reads both: the old record gets
	// the new field's default.
	reader := confluentCodecFor(t, reg, serde.Config{Schema: userV2, AutoRegister: true})
	for data, want := range map[string]string{
		string(old):   `{"id":5,"name":"bo","email":null}`,
		string(newer): `{"id":6,"name":"cy","email":"c@y"}`,
	} {
		out, err := reader.Deserialize(ctx, serde.Target{Topic: "u"}, []byte(data))
		if err != nil || string(out) != want {
			t.Errorf("read %s, %v; want %s", out, err, want)
		}
	}
	// Without a local schema the writer's is used.
	plain := confluentCodecFor(t, reg, serde.Config{UseLatest: true})
	if out, err := plain.Deserialize(ctx, serde.Target{}, old); err != nil || string(out) != `{"id":5,"name":"bo"}` {
		t.Errorf("writer-schema read %s %v", out, err)
	}
}

func TestConfluentDecodeErrors(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := confluentCodecFor(t, reg, serde.Config{Schema: userV1, AutoRegister: true})
	ctx := context.Background()
	good, err := c.Serialize(ctx, serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	unknown := append([]byte{0, 0, 0, 0x7f, 0}, good[5:]...)
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"short header":   {good[:3], serde.ErrWireFormat},
		"wrong magic":    {append([]byte{1}, good[1:]...), serde.ErrWireFormat},
		"unknown id":     {unknown, serde.ErrUnknownSchema},
		"truncated body": {good[:len(good)-2], serde.ErrTruncated},
	} {
		if _, err := c.Deserialize(ctx, serde.Target{}, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestConfluentBasicAuth(t *testing.T) {
	reg := srfake.New(srfake.WithAuth("Basic dXNlcjpwYXNz")) // user:pass
	defer reg.Close()
	ctx := context.Background()
	good := confluentCodecFor(t, reg, serde.Config{Schema: userV1, AutoRegister: true, Registry: serde.RegistryConfig{Username: "user", Password: "pass"}})
	if _, err := good.Serialize(ctx, serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`)); err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	bad := confluentCodecFor(t, reg, serde.Config{Schema: userV1, AutoRegister: true, Registry: serde.RegistryConfig{Username: "user", Password: "nope"}})
	if _, err := bad.Serialize(ctx, serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`)); err == nil || !strings.Contains(err.Error(), "not authorized") {
		t.Fatalf("wrong credentials: %v", err)
	}
}

func TestConfluentBearerTokenAndTLS(t *testing.T) {
	ctx := context.Background()
	reg := srfake.NewRegistry(srfake.WithAuth("Bearer s3cret"))
	srv := httptest.NewTLSServer(reg.Handler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	mk := func(token string, tlsConf *tls.Config) serde.Codec {
		c, err := serde.New(serde.Config{Type: "avro_confluent", Schema: userV1, AutoRegister: true,
			Registry: serde.RegistryConfig{URLs: []string{srv.URL}, Token: token, TLS: tlsConf}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := mk("s3cret", &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if _, err := good.Serialize(ctx, serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`)); err != nil {
		t.Fatalf("token over TLS: %v", err)
	}
	if _, err := mk("wrong", &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}).Serialize(ctx, serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`)); err == nil {
		t.Error("wrong token accepted")
	}
	if _, err := mk("s3cret", nil).Serialize(ctx, serde.Target{Topic: "t"}, []byte(`{"id":1,"name":"a"}`)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted registry certificate: %v", err)
	}
}
