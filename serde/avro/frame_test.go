package avro

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const (
	addressSchema = `{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}`
	personSchema  = `{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"home","type":"acme.Address"}]}`
	person        = `{"name":"ann","home":{"city":"Oslo"}}`
)

// registerPerson registers Address, then Person referring to it.
func registerPerson(t *testing.T, reg *srfake.Registry) int {
	t.Helper()
	if _, _, err := reg.RegisterSchema("acme.Address", sr.Schema{Schema: addressSchema}); err != nil {
		t.Fatal(err)
	}
	id, _, err := reg.RegisterSchema("people-value", sr.Schema{Schema: personSchema, References: []sr.SchemaReference{{Name: "acme.Address", Subject: "acme.Address", Version: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A record whose schema refers to another subject decodes, and encodes
// with use_latest, with the reference fetched from the registry.
func TestConfluentReferencesFromTheRegistry(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	id := registerPerson(t, reg)
	enc := confluentCodecFor(t, reg, serde.Config{UseLatest: true})
	data, err := enc.Serialize(ctx, serde.Target{Topic: "people"}, []byte(person))
	if err != nil {
		t.Fatal(err)
	}
	want := append(confluent.AppendHeader(nil, id), 0x06, 'a', 'n', 'n', 0x08, 'O', 's', 'l', 'o')
	if !bytes.Equal(data, want) {
		t.Fatalf("wrote %x, want %x", data, want)
	}
	dec := confluentCodecFor(t, reg, serde.Config{DecodeOnly: true})
	out, err := dec.Deserialize(ctx, serde.Target{Topic: "people"}, data)
	if err != nil || string(out) != person {
		t.Fatalf("decoded %s, %v", out, err)
	}
}

// A local schema that names a type registered elsewhere compiles with the
// references it is configured with, and registers with them.
func TestConfluentLocalSchemaWithReferences(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	if _, _, err := reg.RegisterSchema("acme.Address", sr.Schema{Schema: addressSchema}); err != nil {
		t.Fatal(err)
	}
	c := confluentCodecFor(t, reg, serde.Config{Schema: personSchema, AutoRegister: true, SubjectStrategy: confluent.StrategyRecordName,
		References: []confluent.SchemaReference{{Name: "acme.Address", Subject: "acme.Address", Version: -1}}})
	if got := c.SubjectFor(serde.Target{Topic: "x"}); got != "acme.Person" {
		t.Fatalf("subject %q", got)
	}
	data, err := c.Serialize(ctx, serde.Target{Topic: "x"}, []byte(person))
	if err != nil {
		t.Fatal(err)
	}
	ss, ok := reg.GetSchema("acme.Person", 1)
	if !ok || len(ss.References) != 1 || ss.References[0].Version != 1 {
		t.Fatalf("registered %+v", ss)
	}
	if out, err := c.Deserialize(ctx, serde.Target{Topic: "x"}, data); err != nil || string(out) != person {
		t.Fatalf("decoded %s, %v", out, err)
	}
	if _, err := serde.New(serde.Config{Type: "avro_confluent", Schema: personSchema, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}}); err == nil {
		t.Fatal("a schema naming an unknown type compiled without references")
	}
}

// A header-framed value is read with the schema its header names, even
// when its first bytes look like a payload prefix: the case that used to
// be misread. Header framing writes the GUID header and a bare body.
func TestConfluentHeaderFraming(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	// Schema 1 is a record of one long. The value below, of schema Wide,
	// is 00 00 00 00 01 0a: read as a payload prefix, magic 0 and schema
	// ID 1, whose record {"n":5} the rest decodes to without an error.
	one, _, _ := reg.RegisterSchema("other", sr.Schema{Schema: `{"type":"record","name":"N","fields":[{"name":"n","type":"long"}]}`})
	const wide = `{"type":"record","name":"Wide","fields":[{"name":"a","type":"long"},{"name":"b","type":"long"},{"name":"c","type":"long"},{"name":"d","type":"long"},{"name":"e","type":"long"},{"name":"f","type":"long"}]}`
	const value = `{"a":0,"b":0,"c":0,"d":0,"e":-1,"f":5}`
	enc := confluentCodecFor(t, reg, serde.Config{Schema: wide, AutoRegister: true, SchemaIDLocation: confluent.FramingHeader})
	var hs serde.HeaderList
	body, err := enc.Serialize(ctx, serde.Target{Topic: "users", Headers: &hs}, []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	if id, _, err := confluent.ParseHeader(body); one != 1 || id != 1 || err != nil {
		t.Fatalf("test premise: body %x reads as schema ID %d (%v); schema N has ID %d", body, id, err, one)
	}
	h, ok := hs.Get(confluent.ValueSchemaHeader)
	ss, _ := reg.GetSchema("users-value", 1)
	if !ok || len(h) != 17 || h[0] != 1 || ss.GUID == "" {
		t.Fatalf("header %x, registry GUID %q", h, ss.GUID)
	}
	dec := confluentCodecFor(t, reg, serde.Config{DecodeOnly: true})
	out, err := dec.Deserialize(ctx, serde.Target{Topic: "users", Headers: &hs}, body)
	if err != nil || string(out) != value {
		t.Fatalf("decoded %s, %v", out, err)
	}
	// The value's header does not frame the key: a key is read by its
	// own header or its prefix (here, the misreading the header avoids).
	if out, err := dec.Deserialize(ctx, serde.Target{Topic: "users", Key: true, Headers: &hs}, body); err != nil || string(out) != `{"n":5}` {
		t.Fatalf("as a key: %s, %v", out, err)
	}
	// A header that cannot be read is an error, not a reason to read the
	// payload as a prefix.
	bad := serde.HeaderList{{Key: confluent.ValueSchemaHeader, Value: []byte{1, 2}}}
	if _, err := dec.Deserialize(ctx, serde.Target{Topic: "users", Headers: &bad}, body); !errors.Is(err, serde.ErrWireFormat) {
		t.Fatalf("bad header: %v", err)
	}
	// Without headers to write to, header framing fails, saying why.
	if _, err := enc.Serialize(ctx, serde.Target{Topic: "users"}, []byte(`{"id":1,"name":"a"}`)); err == nil || !strings.Contains(err.Error(), "no headers") {
		t.Fatalf("no headers: %v", err)
	}
	// Magic byte 1 in the payload: the GUID, then the body.
	guid, _ := confluent.AppendGUID(nil, ss.GUID)
	if out, err := dec.Deserialize(ctx, serde.Target{Topic: "users"}, append(guid, body...)); err != nil || string(out) != value {
		t.Fatalf("GUID prefix: %s, %v", out, err)
	}
}

// A schema with an enabled rule is refused at encode and decode, naming
// the rule, unless rules are ignored; a disabled rule is no rule.
func TestConfluentRuleSetRefused(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	rules := &sr.SchemaRuleSet{DomainRules: []sr.SchemaRule{{Name: "encryptPII", Kind: sr.SchemaRuleKindTransform, Type: "ENCRYPT", Mode: sr.SchemaRuleModeWriteRead, Tags: []string{"PII"}}}}
	id, _, err := reg.RegisterSchema("users-value", sr.Schema{Schema: userV1, SchemaRuleSet: rules})
	if err != nil {
		t.Fatal(err)
	}
	data := append(confluent.AppendHeader(nil, id), 0x02, 0x02, 'a')
	for _, tc := range []struct {
		name string
		run  func(c *confluentCodec) error
	}{
		{"decode", func(c *confluentCodec) error {
			_, err := c.Deserialize(ctx, serde.Target{Topic: "users"}, data)
			return err
		}},
		{"use_latest", func(c *confluentCodec) error {
			_, err := c.Serialize(ctx, serde.Target{Topic: "users"}, []byte(`{"id":1,"name":"a"}`))
			return err
		}},
	} {
		c := confluentCodecFor(t, reg, serde.Config{UseLatest: true})
		if err := tc.run(c); !errors.Is(err, confluent.ErrRuleSet) || !strings.Contains(err.Error(), `"encryptPII" (kind TRANSFORM, type ENCRYPT, mode WRITEREAD)`) {
			t.Errorf("%s: %v", tc.name, err)
		}
		c = confluentCodecFor(t, reg, serde.Config{UseLatest: true, Registry: serde.RegistryConfig{IgnoreRules: true}})
		if err := tc.run(c); err != nil {
			t.Errorf("%s with ignore_rules: %v", tc.name, err)
		}
	}
}
