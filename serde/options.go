package serde

import (
	"errors"
	"fmt"
	"os"
)

// JSONOptions are the choices a user makes about how JSON maps onto a
// schema language (Avro, Protobuf).
type JSONOptions struct {
	// TaggedUnions reads and writes union values in Avro's JSON encoding,
	// {"type": value}; by default unions are bare: the value alone, its
	// branch chosen by its JSON type.
	TaggedUnions bool
	// IgnoreExtraFields drops JSON fields that the record schema does not
	// have; by default they are an error.
	IgnoreExtraFields bool
	// ProtoNames, for Protobuf, writes fields under their names in the
	// .proto file (order_id) instead of protojson's lowerCamelCase JSON
	// names (orderId). Both are read either way.
	ProtoNames bool
	// EnumNumbers, for Protobuf, writes enum values as numbers instead of
	// their names. Both are read either way.
	EnumNumbers bool
	// EmitUnpopulated and EmitDefaultValues, for Protobuf, write fields
	// that hold their zero value (protojson's options of those names):
	// EmitUnpopulated every field but unset oneofs and extensions,
	// EmitDefaultValues scalars, lists and maps.
	EmitUnpopulated, EmitDefaultValues bool
	// Goavro, for Avro, writes JSON in the conventions of linkedin/goavro,
	// which Redpanda Connect's schema_registry_decode follows: bytes,
	// fixed and decimals as the Avro specification's JSON strings (one
	// \u00XX per byte that is not printable ASCII) instead of base64 and
	// decimal text; a tagged union's branch of a logical type named
	// "<type>.<logicalType>" (long.timestamp-micros); NaN as null and the
	// infinities as 1e999 and -1e999; U+2028 and U+2029 escaped.
	Goavro bool
}

// SchemaText returns the schema from Schema or SchemaFile (setting both is
// an error).
func (c Config) SchemaText() (string, error) {
	switch {
	case c.Schema != "" && c.SchemaFile != "":
		return "", errors.New("schema and schema_file are exclusive: set one")
	case c.SchemaFile != "":
		b, err := os.ReadFile(c.SchemaFile)
		if err != nil {
			return "", fmt.Errorf("schema_file: %w", err)
		}
		return string(b), nil
	}
	return c.Schema, nil
}
