package serde

import "github.com/ferry-connect/ferry/serde/confluent"

// Names that moved to package confluent with the split of serde by format,
// kept here for one release so that code written against them compiles
// unchanged.

// Subject strategies, as Confluent's serializers name them.
//
// Deprecated: use confluent.StrategyTopicName and its siblings.
const (
	StrategyTopicName       = confluent.StrategyTopicName
	StrategyRecordName      = confluent.StrategyRecordName
	StrategyTopicRecordName = confluent.StrategyTopicRecordName
)

// ParseConfluentHeader splits a Confluent wire-format record into its
// schema ID and body.
//
// Deprecated: use confluent.ParseHeader.
func ParseConfluentHeader(data []byte) (id int, body []byte, err error) {
	return confluent.ParseHeader(data)
}

// AppendConfluentHeader appends the magic byte and the schema ID.
//
// Deprecated: use confluent.AppendHeader.
func AppendConfluentHeader(dst []byte, id int) []byte {
	return confluent.AppendHeader(dst, id)
}
