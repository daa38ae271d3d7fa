// Package avro registers serde's Avro codecs: avro (plain binary Avro, the
// schema known to both sides) and avro_confluent (Confluent's wire
// format, the schema ID framed by package confluent and the schema fetched
// from the registry).
//
// A schema is compiled once into a tree of nodes (schema.go). The encoder
// walks the JSON text with a streaming scanner guided by that tree and
// appends Avro binary (encode*.go); the decoder reads Avro binary written
// with one schema and appends JSON shaped by another, resolving the two
// as the Avro specification says (decode*.go, resolve.go, skip.go). No
// generic value is built on either path.
//
// Import it for its side effect when using serde without Ferry's
// components:
//
//	import _ "github.com/ferry-connect/ferry/serde/avro"
package avro

// ConfluentType is the name the Confluent wire-format codec registers under.
const ConfluentType = "avro_confluent"
