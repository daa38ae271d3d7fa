package oracle

// The schemas both sides write and read: an Avro record that refers to
// another subject's record, a .proto file that imports another, and a
// JSON Schema.
const (
	addressAvro = `{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}`
	personAvro  = `{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"home","type":"acme.Address"}]}`

	commonProto = `syntax = "proto3";
package shop.v1;
message Money { string currency = 1; int64 units = 2; }
`
	orderProto = `syntax = "proto3";
package shop.v1;
import "shop/v1/common.proto";
message Order { string id = 1; Money total = 2; repeated string tags = 3; }
`
	eventJSONSchema = `{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id"]}`
)

// The values, as JSON: Ferry's side of each.
var (
	people = []string{`{"name":"ann","age":30,"home":{"city":"Oslo"}}`, `{"name":"bo","age":41,"home":{"city":"Lyon"}}`, `{"name":"cy","age":-2,"home":{"city":""}}`}
	orders = []string{`{"id":"o1","total":{"currency":"EUR","units":"5"},"tags":["a","b"]}`, `{"id":"o2","total":{"currency":"NOK","units":"-9007199254740993"}}`, `{"id":"o3"}`}
	events = []string{`{"id":1,"name":"start"}`, `{"id":2}`, `{"id":3,"name":"ünïcode"}`}
)
