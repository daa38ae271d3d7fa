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

// Framing never panics, whatever the header and payload: a frame read is
// one that AppendFrame could have written.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{1, 0xf, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f, 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e, 2, 2}, []byte{0x0a}, true)
	f.Add([]byte{}, []byte{0, 0, 0, 0, 1, 0, 0x0a}, true)
	f.Add([]byte{0, 0, 0, 0, 9}, []byte{}, false)
	f.Fuzz(func(t *testing.T, header, payload []byte, indexes bool) {
		h := &headers{}
		if len(header) > 0 {
			(*h)[ValueSchemaHeader] = header
		}
		fr, err := ReadFrame(h, false, payload, indexes)
		if err != nil {
			return
		}
		id := Ident{ID: fr.Schema.ID, GUID: fr.Schema.GUID}
		var idx []byte
		if indexes {
			idx = AppendIndexes(nil, fr.Indexes)
		}
		framing := FramingPayload
		if fr.InHeader {
			framing = FramingHeader
		}
		out := &headers{}
		var b []byte
		switch {
		case fr.InHeader && id.GUID == "":
			// An ID in the header: Confluent reads it; Ferry writes GUIDs.
			(*out)[ValueSchemaHeader] = append(AppendHeader(nil, id.ID), idx...)
		case !fr.InHeader && id.GUID != "":
			// A GUID in the payload: read, never written by Ferry.
			b, _ = AppendGUID(nil, id.GUID)
			b = append(b, idx...)
		default:
			b, err = AppendFrame(nil, out, false, framing, id, idx)
		}
		if err != nil {
			t.Fatalf("read %+v, which does not frame again: %v", fr, err)
		}
		again, err := ReadFrame(out, false, append(b, fr.Body...), indexes)
		if err != nil || again.Schema != fr.Schema || !bytes.Equal(again.Body, fr.Body) || fmt.Sprint(again.Indexes) != fmt.Sprint(fr.Indexes) {
			t.Fatalf("%+v framed again reads as %+v (%v)", fr, again, err)
		}
	})
}
