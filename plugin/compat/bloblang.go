package compat

import (
	"fmt"
	"math"

	"github.com/redpanda-data/benthos/v4/public/bloblang"

	"github.com/ferry-connect/ferry/serde/confluent"
)

// with_schema_registry_header(schema_id, message): Redpanda Connect's
// Bloblang function that frames bytes with Confluent's 5-byte header.
func init() {
	spec := bloblang.NewPluginSpec().
		Category("Encoding").
		Description("Prepends Confluent's wire-format header to bytes: the magic byte 0 and the 4-byte big-endian schema ID.").
		Param(bloblang.NewAnyParam("schema_id").Description("The schema ID, 0 to 4294967295.")).
		Param(bloblang.NewAnyParam("message").Description("The encoded bytes (or string) to frame.")).
		Example("Frame Avro bytes with schema 123", `root = with_schema_registry_header(123, content())`)
	bloblang.MustRegisterFunctionV2("with_schema_registry_header", spec, func(args *bloblang.ParsedParams) (bloblang.Function, error) {
		return func() (any, error) {
			rawID, err := args.Get("schema_id")
			if err != nil {
				return nil, err
			}
			rawMsg, err := args.Get("message")
			if err != nil {
				return nil, err
			}
			msg, err := bloblang.ValueAsBytes(rawMsg)
			if err != nil {
				return nil, fmt.Errorf("message must be bytes or string: %w", err)
			}
			id, err := schemaID(rawID)
			if err != nil {
				return nil, err
			}
			return append(confluent.AppendHeader(make([]byte, 0, confluent.HeaderLen+len(msg)), int(id)), msg...), nil
		}, nil
	})
}

// schemaID reads a schema ID argument: a whole number from 0 to
// 4294967295.
func schemaID(v any) (uint32, error) {
	var f float64
	switch t := v.(type) {
	case int:
		f = float64(t)
	case int64:
		f = float64(t)
	case uint64:
		f = float64(t)
	case float64:
		f = t
	default:
		return 0, fmt.Errorf("schema ID must be a number, got %T", v)
	}
	if f < 0 || f > math.MaxUint32 || f != math.Trunc(f) {
		return 0, fmt.Errorf("schema ID must be a whole number from 0 to %d, got %v", uint32(math.MaxUint32), v)
	}
	return uint32(f), nil
}
