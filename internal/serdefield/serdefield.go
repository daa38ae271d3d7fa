// Package serdefield is the Benthos side of the serializer stanza: the one
// field spec that kafka_sink, kafka_source and the serialize/deserialize
// processors embed, and its conversion into a serde.Config. Keeping it in
// one place means every component documents and validates the stanza the
// same way, and serde itself stays free of Benthos.
package serdefield

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/serde"
)

// Field names inside the stanza.
const (
	FieldType    = "type"
	FieldOptions = "options"
)

// Spec returns the stanza field `name`, defaulting to the codec defType.
func Spec(name, defType, description string) *service.ConfigField {
	return service.NewObjectField(name,
		service.NewStringField(FieldType).
			Description("The codec: `bytes` (as is), `string` (UTF-8 text), `json` (one JSON document, checked), or a type registered from Go with `serde.Register`.").
			Default(defType).
			Example("json"),
		service.NewAnyMapField(FieldOptions).
			Description("Settings for a codec registered from Go; the built-in codecs take none.").
			Optional().
			Advanced(),
	).Description(description)
}

// Parse builds the codec configured at field name. The error names the
// field, so `connect lint` and start-up point at the right line.
func Parse(conf *service.ParsedConfig, name string) (serde.Codec, error) {
	sub := conf.Namespace(name)
	typ, err := sub.FieldString(FieldType)
	if err != nil {
		return nil, fmt.Errorf("field %s.%s: %w", name, FieldType, err)
	}
	c := serde.Config{Type: typ}
	if sub.Contains(FieldOptions) {
		opts, err := sub.FieldAnyMap(FieldOptions)
		if err != nil {
			return nil, fmt.Errorf("field %s.%s: %w", name, FieldOptions, err)
		}
		c.Options = make(map[string]any, len(opts))
		for k, v := range opts {
			if c.Options[k], err = v.FieldAny(); err != nil {
				return nil, fmt.Errorf("field %s.%s.%s: %w", name, FieldOptions, k, err)
			}
		}
	}
	codec, err := serde.New(c)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", name, err)
	}
	return codec, nil
}
