package serde

import (
	"context"
	"encoding/json"
	"unicode/utf8"
)

// The built-in codecs with no schema. They never allocate: the payload is
// checked and passed through, because a Kafka record value and a Benthos
// message are both plain bytes.
func init() {
	MustRegister("bytes", func(Config) (Codec, error) { return bytesCodec{}, nil })
	MustRegister("string", func(Config) (Codec, error) { return stringCodec{}, nil })
	MustRegister("json", func(Config) (Codec, error) { return jsonCodec{}, nil })
}

// bytesCodec writes the payload unchanged.
type bytesCodec struct{}

func (bytesCodec) Serialize(_ context.Context, _ Target, p []byte) ([]byte, error) { return p, nil }
func (bytesCodec) Deserialize(_ context.Context, _ Target, d []byte) ([]byte, error) {
	return d, nil
}

// stringCodec writes UTF-8 text, as Kafka's StringSerializer does, and
// refuses bytes that are not UTF-8 rather than passing them on for a
// consumer to trip over.
type stringCodec struct{}

func (stringCodec) Serialize(_ context.Context, _ Target, p []byte) ([]byte, error) {
	if !utf8.Valid(p) {
		return nil, ErrInvalidUTF8
	}
	return p, nil
}

func (stringCodec) Deserialize(_ context.Context, _ Target, d []byte) ([]byte, error) {
	if !utf8.Valid(d) {
		return nil, ErrInvalidUTF8
	}
	return d, nil
}

// jsonCodec writes a JSON document as it is (no re-encoding, so key order
// and number text are kept) after checking that it is one.
type jsonCodec struct{}

func (jsonCodec) TakesJSON() bool { return true }

func (jsonCodec) Serialize(_ context.Context, _ Target, p []byte) ([]byte, error) {
	if !json.Valid(p) {
		return nil, ErrInvalidJSON
	}
	return p, nil
}

func (jsonCodec) Deserialize(_ context.Context, _ Target, d []byte) ([]byte, error) {
	if !json.Valid(d) {
		return nil, ErrInvalidJSON
	}
	return d, nil
}
