package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/schema"
)

// Benthos common schemas (what CDC inputs put in metadata) turned into
// the schemas schema_registry_encode's schema_metadata mode registers:
// the same schema text Redpanda Connect registers, keys sorted as
// encoding/json writes a map, so the registry gives the same ID.

// avroFromCommon is c as an Avro schema; the root record is named
// recordName (when c has no name) in namespace.
func avroFromCommon(c schema.Common, recordName, namespace string) (string, error) {
	n, err := avroNode(c, recordName, namespace, true)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(n)
	return string(b), err
}

func avroNode(c schema.Common, name, namespace string, root bool) (any, error) {
	t, err := avroType(c, name, namespace, root)
	if err != nil || !c.Optional {
		return t, err
	}
	return []any{"null", t}, nil
}

// avroPrimitives are the types with an Avro spelling of their own.
var avroPrimitives = map[schema.CommonType]any{
	schema.Null: "null", schema.Boolean: "boolean", schema.Int32: "int", schema.Int64: "long",
	schema.Float32: "float", schema.Float64: "double", schema.String: "string",
	schema.ByteArray: "bytes", schema.Any: "bytes",
	schema.Date: map[string]any{"type": "int", "logicalType": "date"},
	schema.UUID: map[string]any{"type": "string", "logicalType": "uuid"},
}

func avroType(c schema.Common, name, namespace string, root bool) (any, error) {
	if p, ok := avroPrimitives[c.Type]; ok {
		return p, nil
	}
	switch c.Type {
	case schema.Timestamp:
		return avroTimestamp(c)
	case schema.TimeOfDay:
		return avroTimeOfDay(c)
	case schema.Decimal:
		if c.Logical == nil || c.Logical.Decimal == nil {
			return nil, fmt.Errorf("decimal field %q has no precision and scale", c.Name)
		}
		return map[string]any{"type": "bytes", "logicalType": "decimal", "precision": c.Logical.Decimal.Precision, "scale": c.Logical.Decimal.Scale}, nil
	case schema.BigDecimal:
		return nil, fmt.Errorf("field %q is a BigDecimal, which has no fixed precision and scale for Avro: cast it upstream", c.Name)
	case schema.Array, schema.Map:
		if len(c.Children) == 0 {
			return nil, fmt.Errorf("%s field %q has no element type", strings.ToLower(c.Type.String()), c.Name)
		}
		elem, err := avroNode(c.Children[0], "", "", false)
		if err != nil {
			return nil, err
		}
		if c.Type == schema.Array {
			return map[string]any{"type": "array", "items": elem}, nil
		}
		return map[string]any{"type": "map", "values": elem}, nil
	case schema.Union:
		branches := make([]any, len(c.Children))
		for i, ch := range c.Children {
			var err error
			if branches[i], err = avroNode(ch, "", "", false); err != nil {
				return nil, fmt.Errorf("union branch %d: %w", i, err)
			}
		}
		return branches, nil
	case schema.Object:
		return avroRecord(c, name, namespace, root)
	}
	return nil, fmt.Errorf("field %q: type %v has no Avro form", c.Name, c.Type)
}

func avroRecord(c schema.Common, name, namespace string, root bool) (any, error) {
	if c.Name != "" {
		name = c.Name
	}
	fields := make([]any, 0, len(c.Children))
	for _, ch := range c.Children {
		t, err := avroNode(ch, ch.Name, "", false)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", ch.Name, err)
		}
		f := map[string]any{"name": ch.Name, "type": t}
		if ch.Optional {
			f["default"] = nil
		}
		fields = append(fields, f)
	}
	rec := map[string]any{"type": "record", "name": name, "fields": fields}
	if root && namespace != "" {
		rec["namespace"] = namespace
	}
	return rec, nil
}

var avroUnits = map[schema.TimeUnit]string{schema.TimeUnitMillis: "millis", schema.TimeUnitMicros: "micros", schema.TimeUnitNanos: "nanos"}

func avroTimestamp(c schema.Common) (any, error) {
	p := c.EffectiveTimestamp()
	unit, ok := avroUnits[p.Unit]
	if !ok {
		return nil, fmt.Errorf("timestamp field %q: unit %v has no Avro logical type", c.Name, p.Unit)
	}
	logical := "local-timestamp-" + unit
	if p.AdjustToUTC {
		logical = "timestamp-" + unit
	}
	return map[string]any{"type": "long", "logicalType": logical}, nil
}

func avroTimeOfDay(c schema.Common) (any, error) {
	if c.Logical == nil || c.Logical.TimeOfDay == nil {
		return nil, fmt.Errorf("time-of-day field %q has no unit", c.Name)
	}
	p := c.Logical.TimeOfDay
	switch {
	case p.AdjustToUTC:
		return nil, fmt.Errorf("time-of-day field %q is adjusted to UTC, which Avro's times cannot say", c.Name)
	case p.Unit == schema.TimeUnitMillis:
		return map[string]any{"type": "int", "logicalType": "time-millis"}, nil
	case p.Unit == schema.TimeUnitMicros:
		return map[string]any{"type": "long", "logicalType": "time-micros"}, nil
	}
	return nil, fmt.Errorf("time-of-day field %q: unit %v has no Avro logical type", c.Name, p.Unit)
}

// avroName makes a subject a valid Avro name: letters, digits and
// underscores, not starting with a digit.
func avroName(subject string) string {
	if subject == "" {
		return "_"
	}
	var b strings.Builder
	for i, r := range subject {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// jsonSchemaFromCommon is c as a JSON Schema.
func jsonSchemaFromCommon(c schema.Common) (string, error) {
	n, err := jsonSchemaNode(c)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(n)
	return string(b), err
}

var jsonSchemaScalars = map[schema.CommonType]map[string]any{
	schema.Int32: {"type": "integer"}, schema.Int64: {"type": "integer"},
	schema.Float32: {"type": "number"}, schema.Float64: {"type": "number"},
	schema.Boolean: {"type": "boolean"}, schema.String: {"type": "string"}, schema.Null: {"type": "null"},
	schema.ByteArray: {"type": "string", "contentEncoding": "base64"},
	schema.Timestamp: {"type": "string", "format": "date-time"}, schema.Date: {"type": "string", "format": "date"},
	schema.TimeOfDay: {"type": "string", "format": "time"}, schema.UUID: {"type": "string", "format": "uuid"},
	schema.BigDecimal: {"type": "string", "pattern": `^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`},
	schema.Any:        {},
}

func jsonSchemaNode(c schema.Common) (map[string]any, error) {
	if s, ok := jsonSchemaScalars[c.Type]; ok {
		return s, nil
	}
	switch c.Type {
	case schema.Decimal:
		if c.Logical == nil || c.Logical.Decimal == nil {
			return nil, fmt.Errorf("decimal field %q has no precision and scale", c.Name)
		}
		return map[string]any{"type": "string", "pattern": decimalPattern(c.Logical.Decimal.Precision, c.Logical.Decimal.Scale)}, nil
	case schema.Array, schema.Map:
		if len(c.Children) == 0 {
			return nil, errors.New("an array or map schema needs its element type")
		}
		elem, err := jsonSchemaNode(c.Children[0])
		if err != nil {
			return nil, err
		}
		if c.Type == schema.Array {
			return map[string]any{"type": "array", "items": elem}, nil
		}
		return map[string]any{"type": "object", "additionalProperties": elem}, nil
	case schema.Union:
		oneOf := make([]any, len(c.Children))
		for i, ch := range c.Children {
			var err error
			if oneOf[i], err = jsonSchemaNode(ch); err != nil {
				return nil, fmt.Errorf("union branch %d: %w", i, err)
			}
		}
		return map[string]any{"oneOf": oneOf}, nil
	case schema.Object:
		props := make(map[string]any, len(c.Children))
		var required []string
		for _, ch := range c.Children {
			p, err := jsonSchemaNode(ch)
			if err != nil {
				return nil, fmt.Errorf("property %q: %w", ch.Name, err)
			}
			props[ch.Name] = p
			if !ch.Optional {
				required = append(required, ch.Name)
			}
		}
		obj := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			obj["required"] = required
		}
		return obj, nil
	}
	return nil, fmt.Errorf("field %q: type %v has no JSON Schema form", c.Name, c.Type)
}

// decimalPattern matches a decimal's text with at most precision digits,
// exactly scale of them after the point.
func decimalPattern(precision, scale int32) string {
	whole := precision - scale
	switch {
	case scale == 0:
		return fmt.Sprintf(`^-?(0|[1-9][0-9]{0,%d})$`, whole-1)
	case whole == 0:
		return fmt.Sprintf(`^-?0\.[0-9]{%d}$`, scale)
	}
	return fmt.Sprintf(`^-?(0|[1-9][0-9]{0,%d})\.[0-9]{%d}$`, whole-1, scale)
}
