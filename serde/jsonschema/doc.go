// Package jsonschema registers serde's JSON Schema codecs: json_schema
// (JSON checked against a schema both sides know, no header) and
// json_schema_confluent (Confluent's wire format: the schema ID framed by
// package confluent before the JSON text, the schema fetched from the
// registry with its references). Schemas without $schema are read as
// draft-07, as Confluent's serializers read them; validation errors name
// every failing location on one line.
//
// Import it for its side effect when using serde without Ferry's
// components:
//
//	import _ "github.com/ferry-connect/ferry/serde/jsonschema"
package jsonschema

// ConfluentType is the name the Confluent wire-format codec registers under.
const ConfluentType = "json_schema_confluent"
