package confluent

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
)

// HeaderLen is the magic byte plus the 4-byte schema ID that frame a
// record in Confluent's wire format.
const HeaderLen = 5

// Magic bytes: what follows is a 4-byte schema ID (0) or a 16-byte schema
// GUID (1, Confluent Platform 8's serializers).
const (
	MagicID   byte = 0
	MagicGUID byte = 1
)

// The record headers Confluent's serializers name a key's or a value's
// schema in when they frame by header: the magic byte and the GUID (or
// ID), then for Protobuf the message indexes.
const (
	KeySchemaHeader   = "__key_schema_id"
	ValueSchemaHeader = "__value_schema_id"
)

// SchemaHeader is the header that names the schema of a key (key) or a
// value.
func SchemaHeader(key bool) string {
	if key {
		return KeySchemaHeader
	}
	return ValueSchemaHeader
}

// SchemaRef names a writer schema: by its registry ID, or by its GUID.
type SchemaRef struct {
	ID   int
	GUID string // set instead of ID by magic byte 1
}

func (r SchemaRef) String() string {
	if r.GUID != "" {
		return "schema GUID " + r.GUID
	}
	return fmt.Sprintf("schema ID %d", r.ID)
}

// HeaderGetter is the part of a record's headers framing reads: the value
// of the first header of a name. serde.Headers satisfies it.
type HeaderGetter interface {
	Get(key string) ([]byte, bool)
}

// Frame is what a record's framing says: which schema wrote it, the
// Protobuf message indexes (when asked for), and the body that follows.
type Frame struct {
	Schema   SchemaRef
	Indexes  []int
	Body     []byte
	InHeader bool // the schema was named in a header, not the payload
}

// ReadFrame finds a record's schema as Confluent's default deserializer
// does: in the key's or value's schema header when the record has one
// with a value, otherwise in the payload's first bytes. indexes says the
// schema language is Protobuf, whose message indexes follow the ID or GUID
// wherever it is. Unlike Confluent's deserializer, a schema header that
// cannot be parsed is an error, not a reason to try the payload: the
// payload of a header-framed record has no prefix, so reading one there
// would be a guess.
func ReadFrame(h HeaderGetter, key bool, data []byte, indexes bool) (Frame, error) {
	return ReadFrameOr(h, key, data, indexes, 0)
}

// ReadFrameOr is ReadFrame, reading a record whose payload has no frame
// (too short, or a magic byte of neither kind) as written with schema ID
// def, all of it the body, when def is not 0: Redpanda Connect's
// default_schema_id. A record named by its headers, or with a frame, is
// read by it as ever.
func ReadFrameOr(h HeaderGetter, key bool, data []byte, indexes bool, def int) (Frame, error) {
	if v, ok := schemaHeaderOf(h, key); ok {
		ref, rest, err := parseRef(v)
		if err != nil {
			return Frame{}, fmt.Errorf("header %s: %w", SchemaHeader(key), err)
		}
		f := Frame{Schema: ref, Body: data, InHeader: true}
		if indexes {
			if f.Indexes, rest, err = readIndexes(rest); err != nil {
				return Frame{}, fmt.Errorf("header %s: %w", SchemaHeader(key), err)
			}
		}
		if len(rest) != 0 {
			return Frame{}, fmt.Errorf("%w: header %s has %d bytes after the schema", ErrWireFormat, SchemaHeader(key), len(rest))
		}
		return f, nil
	}
	ref, rest, err := parseRef(data)
	if err != nil {
		if def == 0 {
			return Frame{}, err
		}
		ref, rest = SchemaRef{ID: def}, data
	}
	f := Frame{Schema: ref, Body: rest}
	if indexes {
		if f.Indexes, f.Body, err = readIndexes(rest); err != nil {
			return Frame{}, err
		}
	}
	return f, nil
}

// schemaHeaderOf is the value of the key's or value's schema header, when
// the record has one that is not empty (Confluent's deserializer skips an
// empty one too).
func schemaHeaderOf(h HeaderGetter, key bool) ([]byte, bool) {
	if h == nil {
		return nil, false
	}
	v, ok := h.Get(SchemaHeader(key))
	return v, ok && len(v) > 0
}

// parseRef reads a magic byte and the ID or GUID after it.
func parseRef(data []byte) (SchemaRef, []byte, error) {
	if len(data) == 0 {
		return SchemaRef{}, nil, fmt.Errorf("%w: no bytes, so no magic byte", ErrWireFormat)
	}
	switch data[0] {
	case MagicID:
		if len(data) < HeaderLen {
			return SchemaRef{}, nil, fmt.Errorf("%w: %d bytes, shorter than the 5-byte header", ErrWireFormat, len(data))
		}
		return SchemaRef{ID: int(binary.BigEndian.Uint32(data[1:5]))}, data[5:], nil
	case MagicGUID:
		if len(data) < 17 {
			return SchemaRef{}, nil, fmt.Errorf("%w: %d bytes, shorter than magic byte 0x01 and a 16-byte GUID", ErrWireFormat, len(data))
		}
		return SchemaRef{GUID: formatGUID(data[1:17])}, data[17:], nil
	}
	return SchemaRef{}, nil, fmt.Errorf("%w: magic byte is %#02x, want 0x00 (schema ID) or 0x01 (schema GUID)", ErrWireFormat, data[0])
}

// readIndexes reads Protobuf message indexes: a zigzag varint count, then
// each index; a lone 0 means [0].
func readIndexes(b []byte) ([]int, []byte, error) {
	idx, rest, err := (&sr.ConfluentHeader{}).DecodeIndex(b, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: message indexes: %v", ErrWireFormat, err)
	}
	return idx, rest, nil
}

// AppendIndexes appends Protobuf message indexes as Confluent writes
// them: [0] as a single 0 byte.
func AppendIndexes(dst []byte, idx []int) []byte {
	if len(idx) == 1 && idx[0] == 0 {
		return append(dst, 0)
	}
	dst = binary.AppendVarint(dst, int64(len(idx)))
	for _, i := range idx {
		dst = binary.AppendVarint(dst, int64(i))
	}
	return dst
}

// ParseHeader splits a Confluent wire-format record with a schema ID
// prefix (magic byte 0) into the ID and the body. A record framed by
// GUID is refused: use ReadFrame to read both.
func ParseHeader(data []byte) (id int, body []byte, err error) {
	ref, body, err := parseRef(data)
	if err != nil {
		return 0, nil, err
	}
	if ref.GUID != "" {
		return 0, nil, fmt.Errorf("%w: magic byte 0x01 names the schema by GUID; ParseHeader reads IDs only (use ReadFrame)", ErrWireFormat)
	}
	return ref.ID, body, nil
}

// AppendHeader appends the magic byte and the schema ID.
func AppendHeader(dst []byte, id int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, MagicID), uint32(id))
}

// AppendGUID appends magic byte 1 and the 16 bytes of guid, the form of
// a header-framed record's schema header.
func AppendGUID(dst []byte, guid string) ([]byte, error) {
	b, err := parseGUID(guid)
	if err != nil {
		return nil, err
	}
	return append(append(dst, MagicGUID), b[:]...), nil
}

// parseGUID reads a GUID in its 36-character text form.
func parseGUID(s string) ([16]byte, error) {
	var out [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return out, fmt.Errorf("schema GUID %q is not in the 8-4-4-4-12 form", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(out[:], []byte(h)); err != nil {
		return out, fmt.Errorf("schema GUID %q: %w", s, err)
	}
	return out, nil
}

// formatGUID writes 16 bytes in the GUID's text form, lower case, as the
// registry does.
func formatGUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Framings: where a serializer names the schema. Payload framing is
// Confluent's classic prefix (magic byte 0 and the schema ID); header
// framing is Confluent Platform 8's HeaderSchemaIdSerializer (magic byte 1
// and the schema GUID in the key's or value's schema header, the payload
// left bare).
const (
	FramingPayload = "payload"
	FramingHeader  = "header"
)

// CheckFraming checks a framing name; empty means payload.
func CheckFraming(f string) error {
	switch f {
	case "", FramingPayload, FramingHeader:
		return nil
	}
	return fmt.Errorf("schema_id_location %q: want payload or header", f)
}

// HeaderSetter is the part of a record's headers header framing writes.
// serde.Headers satisfies it.
type HeaderSetter interface {
	Set(key string, value []byte)
}

// AppendFrame frames a record written with schema id: in the payload
// (appended to dst) or, with header framing, in the key's (key) or
// value's schema header, by GUID. indexes are Protobuf's encoded message
// indexes (nil for other languages); they go wherever the schema is named.
func AppendFrame(dst []byte, h HeaderSetter, key bool, framing string, id Ident, indexes []byte) ([]byte, error) {
	if framing != FramingHeader {
		return append(AppendHeader(dst, id.ID), indexes...), nil
	}
	if h == nil {
		return nil, errors.New("header framing names the schema in a record header, and this caller passes the codec no headers")
	}
	v, err := AppendGUID(make([]byte, 0, 17+len(indexes)), id.GUID)
	if err != nil {
		return nil, err
	}
	h.Set(SchemaHeader(key), append(v, indexes...))
	return dst, nil
}

// PeekSchema names the schema a record was written with, from its schema
// header or its payload prefix, without reading what follows (message
// indexes, whose presence depends on the schema's language): what a
// decoder that learns the language from the registry reads first.
func PeekSchema(h HeaderGetter, key bool, data []byte) (SchemaRef, error) {
	return PeekSchemaOr(h, key, data, 0)
}

// PeekSchemaOr is PeekSchema with ReadFrameOr's default schema ID.
func PeekSchemaOr(h HeaderGetter, key bool, data []byte, def int) (SchemaRef, error) {
	if v, ok := schemaHeaderOf(h, key); ok {
		ref, _, err := parseRef(v)
		if err != nil {
			return ref, fmt.Errorf("header %s: %w", SchemaHeader(key), err)
		}
		return ref, nil
	}
	ref, _, err := parseRef(data)
	if err != nil && def != 0 {
		return SchemaRef{ID: def}, nil
	}
	return ref, err
}
