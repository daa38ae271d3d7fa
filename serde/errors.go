package serde

import (
	"errors"

	"github.com/ferry-connect/ferry/serde/confluent"
)

// The errors callers match on with errors.Is, whichever codec returned
// them. A record that fails with one of these is the record's fault
// (dead-letter it), except ErrRegistryUnavailable (retry).
var (
	// ErrInvalidUTF8 is returned by the string codec for bytes that are
	// not UTF-8 text.
	ErrInvalidUTF8 = errors.New("payload is not valid UTF-8")
	// ErrInvalidJSON is returned by the json codec for a payload that is
	// not one JSON document.
	ErrInvalidJSON = errors.New("payload is not a valid JSON document")
	// ErrInvalid wraps a payload that does not validate against its
	// schema (JSON Schema): the record's fault, never retried.
	ErrInvalid = errors.New("does not validate against the schema")
	// ErrTruncated is returned for Avro data that ends inside a value.
	ErrTruncated = errors.New("truncated Avro data")

	// ErrWireFormat: the record is not in Confluent's wire format.
	ErrWireFormat = confluent.ErrWireFormat
	// ErrUnknownSchema: the record's schema ID is not in the registry.
	ErrUnknownSchema = confluent.ErrUnknownSchema
	// ErrRegistryUnavailable wraps failures to reach the registry (a
	// network error or a 5xx answer): the registry's state, not the
	// record's, so callers should retry rather than dead-letter.
	ErrRegistryUnavailable = confluent.ErrRegistryUnavailable
)
