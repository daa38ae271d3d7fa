package protobuf

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func (d *fastDecoder) list(f *fastField, spans []span, dst []byte) []byte {
	start := len(dst)
	dst = append(dst, '[')
	n := 0
	packable := f.kind != protoreflect.StringKind && f.kind != protoreflect.BytesKind && f.kind != protoreflect.MessageKind
	want := wireType(f.kind)
	for _, s := range spans {
		if s.field != f.index || d.give {
			continue
		}
		switch {
		case s.typ == want:
			if n > 0 {
				dst = append(dst, ',')
			}
			if f.kind == protoreflect.MessageKind {
				dst = d.message(f.msg, dst, s.val)
			} else {
				dst = d.scalar(f, dst, s.typ, s.val)
			}
			n++
		case packable && s.typ == protowire.BytesType:
			b := s.val
			for len(b) > 0 && !d.give {
				var m int
				switch want {
				case protowire.VarintType:
					_, m = protowire.ConsumeVarint(b)
				case protowire.Fixed32Type:
					_, m = protowire.ConsumeFixed32(b)
				default:
					_, m = protowire.ConsumeFixed64(b)
				}
				if m < 0 {
					d.give = true
					break
				}
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = d.scalar(f, dst, want, b[:m])
				b = b[m:]
				n++
			}
		}
	}
	if n == 0 {
		return dst[:start]
	}
	return append(dst, ']')
}

// mapValue writes a map's entries with their keys sorted as protojson
// sorts them; a key written twice keeps its last value.
func (d *fastDecoder) mapValue(f *fastField, spans []span, dst []byte) []byte {
	type entry struct {
		key    []byte // the key's JSON text, quoted
		sortBy any
		val    []byte // its value's wire bytes, nil if absent
		typ    protowire.Type
	}
	var entries []entry
	for _, s := range spans {
		if s.field != f.index || s.typ != protowire.BytesType {
			continue
		}
		var e entry
		var key []byte
		keyTyp := protowire.Type(-1)
		if !d.fields(s.val, func(num protowire.Number, typ protowire.Type, v []byte) bool {
			switch {
			case num == 1 && typ == wireType(f.key.kind):
				key, keyTyp = v, typ
			case num == 2 && typ == wireType(f.val.kind):
				e.val, e.typ = v, typ
			case num == 1 || num == 2:
				// A key or value of the wrong wire type: protobuf-go
				// fails on it (or panics; see unmarshal), so protojson's
				// path gives the answer.
				d.give = true
				return false
			}
			return true
		}) {
			return dst
		}
		e.key, e.sortBy = d.mapKey(f.key, key, keyTyp)
		if d.give {
			return dst
		}
		if slices.ContainsFunc(entries, func(x entry) bool { return string(x.key) == string(e.key) }) {
			d.give = true // a key written twice: rare, and protojson's to sort out
			return dst
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return dst
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch x := a.sortBy.(type) {
		case string:
			return strings.Compare(x, b.sortBy.(string))
		case int64:
			return cmpInt(x, b.sortBy.(int64))
		case uint64:
			return cmpInt(x, b.sortBy.(uint64))
		}
		return cmpInt(boolInt(a.sortBy.(bool)), boolInt(b.sortBy.(bool)))
	})
	dst = append(dst, '{')
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, e.key...)
		dst = append(dst, ':')
		switch {
		case f.val.kind == protoreflect.MessageKind:
			if f.val.slow {
				d.give = true
				return dst
			}
			dst = d.message(f.val.msg, dst, e.val)
		case e.val == nil:
			dst = d.zero(f.val, dst)
		default:
			dst = d.scalar(f.val, dst, e.typ, e.val)
		}
	}
	return append(dst, '}')
}

func cmpInt[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// mapKey returns a key's JSON text (always a string) and what it sorts by.
func (d *fastDecoder) mapKey(f *fastField, v []byte, typ protowire.Type) ([]byte, any) {
	if v == nil {
		v = zeroWire(f.kind)
		typ = wireType(f.kind)
	}
	switch f.kind {
	case protoreflect.StringKind:
		out := d.str(nil, v)
		return out, string(v)
	case protoreflect.BoolKind:
		x, _ := protowire.ConsumeVarint(v)
		if x != 0 {
			return []byte(`"true"`), true
		}
		return []byte(`"false"`), false
	}
	n, u, signed := d.integer(f.kind, typ, v)
	if signed {
		return strconv.AppendQuote(nil, strconv.FormatInt(n, 10)), n
	}
	return strconv.AppendQuote(nil, strconv.FormatUint(u, 10)), u
}
