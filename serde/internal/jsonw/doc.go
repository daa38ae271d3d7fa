// Package jsonw writes the JSON that Ferry's schema languages share:
// strings escaped as encoding/json and protojson escape them, floats in
// the two number forms (shortest for Avro, encoding/json's for protojson),
// and the "NaN", "Infinity" and "-Infinity" strings that stand for the
// floats JSON cannot hold. The Avro and Protobuf codecs both write with
// it, so the forms are decided once and neither format owns them.
package jsonw
