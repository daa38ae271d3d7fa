package confluent

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// The header parser never panics and reads the ID big-endian.
func FuzzConfluentHeader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 2})
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		id, body, err := ParseHeader(data)
		if err != nil {
			if len(data) >= 5 && data[0] == 0 {
				t.Fatalf("rejected a valid header %x: %v", data, err)
			}
			return
		}
		if data[0] != 0 || id != int(binary.BigEndian.Uint32(data[1:5])) || !bytes.Equal(body, data[5:]) {
			t.Fatalf("%x parsed as id %d body %x", data, id, body)
		}
	})
}
