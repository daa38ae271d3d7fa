// Package oracle checks Ferry's wire formats against an implementation
// written by other people: Confluent's Go serializers
// (confluent-kafka-go's schemaregistry/serde, the reference for the
// formats). Its tests write with one and read with the other, both ways,
// through kafka_sink and kafka_source on the dev cluster (kfake and the
// dev schema registry, as `connect dev` runs them).
//
// It is a module of its own: confluent-kafka-go links librdkafka through
// cgo, and its dependencies have no place in the library's go.mod.
package oracle
