package output

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/internal/jsonscan"
)

// extractKey reads the value at path from the structured message. A missing
// or null value is a null key (nil, nil). Strings are returned bare unless
// asJSON, in which case every value is returned as its JSON text.
//
// Scalars are found by scanning the message's bytes (jsonscan.Field), with
// no decoding into maps; objects and arrays, and anything the scanner does
// not read exactly as encoding/json would, take the full decode, so both
// paths give the same key.
func extractKey(msg *service.Message, path []string, asJSON bool) ([]byte, error) {
	if raw, err := msg.AsBytes(); err == nil {
		kind, text, err := jsonscan.Field(raw, path)
		if err == nil {
			switch kind {
			case jsonscan.Missing, jsonscan.Null:
				return nil, nil
			case jsonscan.String:
				if asJSON {
					return json.Marshal(string(text))
				}
				return noAppend(text), nil
			case jsonscan.Number, jsonscan.Bool:
				return noAppend(text), nil
			}
		}
	}
	return extractKeyDecoded(msg, path, asJSON)
}

// noAppend caps b at its length, so that an append to the key (by a
// serializer) copies rather than writes over the message bytes b aliases.
// Aliasing is safe: a message's bytes are read-only to the host, and the
// record lives no longer than the write of the message.
func noAppend(b []byte) []byte { return b[:len(b):len(b)] }

// extractKeyDecoded is extractKey over the decoded message.
func extractKeyDecoded(msg *service.Message, path []string, asJSON bool) ([]byte, error) {
	v, err := msg.AsStructured()
	if err != nil {
		return nil, fmt.Errorf("message is not structured (JSON): %w", err)
	}
	for _, seg := range path {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(t) {
				return nil, nil
			}
			v = t[idx]
		default:
			return nil, nil
		}
		if v == nil {
			return nil, nil
		}
	}
	if s, ok := v.(string); ok && !asJSON {
		return []byte(s), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cannot encode key value: %w", err)
	}
	return b, nil
}
