package compat

import (
	"errors"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/schema"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/serde"
)

// metaMode is schema_registry_encode's schema_metadata mode: the schema
// travels with each message, as a Benthos common schema in metadata.
type metaMode struct {
	key        string // the metadata key; "" when off
	format     string // avro or json_schema
	normalize  bool
	recordName string
	namespace  string
}

func parseMetaMode(conf *service.ParsedConfig) (metaMode, error) {
	var m metaMode
	var err error
	if m.key, err = conf.FieldString("schema_metadata"); err != nil || m.key == "" {
		return m, err
	}
	if m.format, err = conf.FieldString("format"); err != nil {
		return m, err
	}
	if m.normalize, err = conf.FieldBool("normalize"); err != nil {
		return m, err
	}
	if m.recordName, err = conf.FieldString("avro", "record_name"); err != nil {
		return m, err
	}
	m.namespace, err = conf.FieldString("avro", "namespace")
	return m, err
}

// metaCodec is the codec for msg's schema under subject: its common
// schema converted, registered on first use, cached by its fingerprint.
func (e *registryEncoder) metaCodec(msg *service.Message, subject string) (serde.Codec, error) {
	v, ok := msg.MetaGetMut(e.meta.key)
	if !ok {
		return nil, fmt.Errorf("schema metadata key %q not found on message", e.meta.key)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema metadata %q: want a common schema object, got %T", e.meta.key, v)
	}
	fp, ok := m["fingerprint"].(string)
	if !ok {
		return nil, errors.New("schema metadata: the common schema has no fingerprint")
	}
	cacheKey := subject + ":" + fp
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.codecs[cacheKey]; ok {
		return c, nil
	}
	common, err := schema.ParseFromAny(v)
	if err != nil {
		return nil, fmt.Errorf("parsing the common schema from metadata: %w", err)
	}
	c := serde.Config{Subject: subject, AutoRegister: true, Registry: e.base.Registry, JSON: serde.JSONOptions{Goavro: true}}
	c.Registry.Normalize = e.meta.normalize
	switch e.meta.format {
	case "avro":
		name := e.meta.recordName
		if name == "" {
			name = avroName(subject)
		}
		c.Type = "avro_confluent"
		c.Schema, err = avroFromCommon(common, name, e.meta.namespace)
	default:
		c.Type = "json_schema_confluent"
		c.Schema, err = jsonSchemaFromCommon(common)
	}
	if err != nil {
		return nil, fmt.Errorf("converting the common schema to %s: %w", e.meta.format, err)
	}
	codec, err := serde.New(c)
	if err != nil {
		return nil, err
	}
	e.codecs[cacheKey] = codec
	return codec, nil
}
