package oracle

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rules/cel"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
)

// A value Confluent's serializer wrote under a schema with a rule (a CEL
// data-quality condition, which Confluent's serializer executed) is not
// read as if the rule were not there: kafka_source flags it with the
// rule's name. With schema_registry.ignore_rules it reads the value.
func TestRuleSetsRefusedUnlessIgnored(t *testing.T) {
	cel.Register()
	c := dev(t, "checked")
	cl := registry(t, c)
	if _, err := cl.Register("checked-value", schemaregistry.SchemaInfo{Schema: addressAvro, RuleSet: &schemaregistry.RuleSet{
		DomainRules: []schemaregistry.Rule{{Name: "cityNamed", Kind: "CONDITION", Mode: "WRITE", Type: "CEL", Expr: "message.City != ''"}},
	}}, false); err != nil {
		t.Fatal(err)
	}
	conf := avrov2.NewSerializerConfig()
	conf.AutoRegisterSchemas, conf.UseLatestVersion = false, true
	ser, err := avrov2.NewSerializer(cl, serde.ValueSerde, conf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ser.Serialize("checked", &address{City: "Oslo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ser.Serialize("checked", &address{}); err == nil {
		t.Fatal("Confluent's serializer did not execute the rule: the test proves nothing")
	}
	produce(t, c, "checked", []record{{value: b}})
	for _, ignore := range []bool{false, true} {
		got := pipeline.Collect(t, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ checked ]
  consumer_group: rules-%v
  value_deserializer: { type: avro_confluent, schema_registry: { url: %s, ignore_rules: %v } }
`, c.Brokers()[0], ignore, c.RegistryURL(), ignore), 1, 30*time.Second)
		err := got[0].GetError()
		out, _ := got[0].AsBytes()
		switch {
		case !ignore && (err == nil || !strings.Contains(err.Error(), `domainRules rule "cityNamed" (kind CONDITION, type CEL, mode WRITE)`)):
			t.Errorf("read without ignore_rules: %s, %v", out, err)
		case ignore && (err != nil || !json.Valid(out) || string(out) != `{"city":"Oslo"}`):
			t.Errorf("read with ignore_rules: %s, %v", out, err)
		}
	}
}

// address is addressAvro as a Go type, which Confluent's CEL executor
// evaluates (it cannot read a map).
type address struct {
	City string `avro:"city"`
}
