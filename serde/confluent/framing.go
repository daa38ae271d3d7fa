package confluent

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the magic byte plus the 4-byte schema ID that frame a
// record in Confluent's wire format.
const HeaderLen = 5

// ParseHeader splits a Confluent wire-format record into its schema ID
// and body.
func ParseHeader(data []byte) (id int, body []byte, err error) {
	if len(data) < HeaderLen {
		return 0, nil, fmt.Errorf("%w: %d bytes, shorter than the 5-byte header", ErrWireFormat, len(data))
	}
	switch data[0] {
	case 0:
	case 1:
		// Confluent's newer serializers can frame a record with its
		// schema's GUID instead of its ID (magic byte 1); docs/serde.md.
		return 0, nil, fmt.Errorf("%w: magic byte 0x01 (the schema is named by GUID, not ID): not supported; configure the producer's serializer to write schema IDs (magic byte 0x00)", ErrWireFormat)
	default:
		return 0, nil, fmt.Errorf("%w: magic byte is %#02x, want 0x00", ErrWireFormat, data[0])
	}
	return int(binary.BigEndian.Uint32(data[1:5])), data[5:], nil
}

// AppendHeader appends the magic byte and the schema ID.
func AppendHeader(dst []byte, id int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, 0), uint32(id))
}
