// Package protobuf registers serde's Protobuf codecs: protobuf (a
// message's bytes, no header) and protobuf_confluent (Confluent's wire
// format: the schema ID, then the message indexes, then the bytes), both
// compiled from .proto text with protocompile, imports found among a
// registered schema's references or in import_paths.
//
// JSON maps onto messages as protojson maps it. Two fast paths walk the
// JSON text and the wire bytes guided by a plan of the message (plan.go,
// fastenc*.go, fastdec*.go) and give protojson whatever they are not sure
// of, so they never decide what protojson would not; differential fuzz
// targets hold them to that.
//
// Import it for its side effect when using serde without Ferry's
// components:
//
//	import _ "github.com/ferry-connect/ferry/serde/protobuf"
package protobuf

// ConfluentType is the name the Confluent wire-format codec registers under.
const ConfluentType = "protobuf_confluent"
