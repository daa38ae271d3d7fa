package serde

// The schema languages live in packages of their own, each registering its
// codecs from init, as image/png registers with image: a program links
// the ones it imports. Ferry's components import all three, so a custom
// build that registers Ferry's plugins has every type; a Go program using
// serde alone imports the formats it needs, for example
//
//	import _ "github.com/ferry-connect/ferry/serde/avro"
const modulePath = "github.com/ferry-connect/ferry/serde/"

// formatPackages names the package that registers each built-in schema
// type, so New can say which import is missing.
var formatPackages = map[string]string{
	"avro":                  modulePath + "avro",
	"avro_confluent":        modulePath + "avro",
	"protobuf":              modulePath + "protobuf",
	"protobuf_confluent":    modulePath + "protobuf",
	"json_schema":           modulePath + "jsonschema",
	"json_schema_confluent": modulePath + "jsonschema",
	"schema_registry":       modulePath + "mixed",
}
