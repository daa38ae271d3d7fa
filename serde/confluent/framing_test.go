package confluent

import (
	"bytes"
	"encoding/binary"
	"fmt"
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

// Frames read back what AppendFrame writes, both ways, with and without
// message indexes; GUIDs keep their text form.
func TestFrameRoundTrip(t *testing.T) {
	const guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
	id := Ident{ID: 7, GUID: guid}
	for _, framing := range []string{FramingPayload, FramingHeader} {
		for _, idx := range [][]int{nil, {0}, {1, 2}} {
			var enc []byte
			if idx != nil {
				enc = AppendIndexes(nil, idx)
			}
			h := &headers{}
			out, err := AppendFrame(nil, h, true, framing, id, enc)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, 0xaa)
			f, err := ReadFrame(h, true, out, idx != nil)
			if err != nil {
				t.Fatalf("%s %v: %v", framing, idx, err)
			}
			want := SchemaRef{ID: 7}
			if framing == FramingHeader {
				want = SchemaRef{GUID: guid}
			}
			if f.Schema != want || !bytes.Equal(f.Body, []byte{0xaa}) || f.InHeader != (framing == FramingHeader) || fmt.Sprint(f.Indexes) != fmt.Sprint(idx) && !(idx == nil && f.Indexes == nil) {
				t.Errorf("%s %v: read %+v", framing, idx, f)
			}
			if ref, err := PeekSchema(h, true, out); err != nil || ref != want {
				t.Errorf("%s %v: peek %v %v", framing, idx, ref, err)
			}
		}
	}
	if _, err := AppendGUID(nil, "not-a-guid"); err == nil {
		t.Error("a malformed GUID was written")
	}
}

type headers map[string][]byte

func (h *headers) Get(k string) ([]byte, bool) { v, ok := (*h)[k]; return v, ok }
func (h *headers) Set(k string, v []byte)      { (*h)[k] = v }
