package avro

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/jsonw"
)

// The Avro -> JSON decoder reads Avro binary written with a writer schema
// and appends JSON shaped by a reader schema, resolving the two as the
// Avro spec says: reader fields the writer lacks take their defaults,
// writer fields the reader lacks are skipped, numeric types promote
// (int -> long -> float -> double), string and bytes interchange, enum
// symbols map by name. Without a separate reader schema, the writer's is
// used for both.

// maxZeroSizeItems bounds arrays and maps of zero-byte items (nulls, empty
// records), whose block counts the data length cannot bound.
const maxZeroSizeItems = 1 << 20

type decoder struct {
	data []byte
	pos  int
	opts serde.JSONOptions
}

// decodeToJSON decodes one value written with writer into JSON for reader.
func decodeToJSON(writer, reader *node, data []byte) ([]byte, error) {
	return avroToJSON(writer, reader, serde.JSONOptions{}, nil, data)
}

func avroToJSON(writer, reader *node, opts serde.JSONOptions, dst, data []byte) ([]byte, error) {
	d := &decoder{data: data, opts: opts}
	out, err := d.value(writer, reader, dst)
	if err != nil {
		return nil, err
	}
	if d.pos != len(data) {
		return nil, fmt.Errorf("%d bytes left over after the value: the data does not match the writer schema", len(data)-d.pos)
	}
	return out, nil
}

func (d *decoder) long() (int64, error) {
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.pos >= len(d.data) {
			return 0, fmt.Errorf("%w: varint at offset %d", serde.ErrTruncated, d.pos)
		}
		b := d.data[d.pos]
		d.pos++
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, fmt.Errorf("varint longer than 10 bytes at offset %d", d.pos)
}

func (d *decoder) next(n int) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.pos {
		return nil, fmt.Errorf("%w: %d bytes wanted at offset %d, %d left", serde.ErrTruncated, n, d.pos, len(d.data)-d.pos)
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) lengthPrefixed() ([]byte, error) {
	n, err := d.long()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(d.data)-d.pos) {
		return nil, fmt.Errorf("%w: length %d at offset %d, %d bytes left", serde.ErrTruncated, n, d.pos, len(d.data)-d.pos)
	}
	return d.next(int(n))
}

// value decodes one value written as w and appends its JSON, shaped by
// the reader's r.
func (d *decoder) value(w, r *node, dst []byte) ([]byte, error) {
	if w.kind == kUnion {
		idx, err := d.long()
		if err != nil {
			return nil, err
		}
		if idx < 0 || idx >= int64(len(w.branches)) {
			return nil, fmt.Errorf("union branch %d out of range (the union has %d) at offset %d", idx, len(w.branches), d.pos)
		}
		return d.value(w.branches[idx], r, dst)
	}
	if r.kind == kUnion {
		return d.readerUnion(w, r, dst)
	}
	if !promotable(w, r) {
		return nil, fmt.Errorf("written as %s, cannot be read as %s", w.typeName(), r.typeName())
	}
	switch w.kind {
	case kNull:
		return append(dst, "null"...), nil
	case kBoolean:
		return d.boolean(dst)
	case kInt, kLong:
		return d.integer(w, r, dst)
	case kFloat:
		b, err := d.next(4)
		if err != nil {
			return nil, err
		}
		return d.float(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32), nil
	case kDouble:
		b, err := d.next(8)
		if err != nil {
			return nil, err
		}
		return d.float(dst, math.Float64frombits(binary.LittleEndian.Uint64(b)), 64), nil
	case kString, kBytes, kFixed:
		return d.bytes(w, r, dst)
	case kEnum:
		return d.enum(w, r, dst)
	case kArray, kMap:
		return d.blocks(w, r, dst)
	case kRecord:
		return d.record(w, r, dst)
	}
	return nil, fmt.Errorf("unsupported type %s", w.kind)
}

// readerUnion decodes a value the writer wrote outside a union into the
// reader's union branch that takes it: bare, or tagged with the branch's
// name when TaggedUnions is set.
func (d *decoder) readerUnion(w, r *node, dst []byte) ([]byte, error) {
	i, ok := pickBranch(w, r)
	if !ok {
		return nil, fmt.Errorf("written as %s, which no branch of the reader's union %v takes", w.typeName(), unionNames(r))
	}
	rb := r.branches[i]
	if !d.opts.TaggedUnions || rb.kind == kNull {
		return d.value(w, rb, dst)
	}
	dst = append(dst, '{')
	dst = jsonw.String(dst, d.tag(rb))
	dst = append(dst, ':')
	dst, err := d.value(w, rb, dst)
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

func (d *decoder) boolean(dst []byte) ([]byte, error) {
	b, err := d.next(1)
	if err != nil {
		return nil, err
	}
	switch b[0] {
	case 0:
		return append(dst, "false"...), nil
	case 1:
		return append(dst, "true"...), nil
	}
	return nil, fmt.Errorf("boolean byte %#x at offset %d", b[0], d.pos-1)
}

// integer decodes an int or long, as a float when the reader promotes it.
func (d *decoder) integer(w, r *node, dst []byte) ([]byte, error) {
	v, err := d.long()
	if err != nil {
		return nil, err
	}
	if w.kind == kInt && (v < math.MinInt32 || v > math.MaxInt32) {
		return nil, fmt.Errorf("int %d out of range at offset %d", v, d.pos)
	}
	if r.kind == kFloat || r.kind == kDouble {
		return d.float(dst, float64(v), 64), nil
	}
	return strconv.AppendInt(dst, v, 10), nil
}

// bytes decodes a string, bytes or fixed: a string as JSON text, a
// decimal as its exact number in a string, other bytes as base64.
func (d *decoder) bytes(w, r *node, dst []byte) ([]byte, error) {
	var b []byte
	var err error
	if w.kind == kFixed {
		b, err = d.next(w.size)
	} else {
		b, err = d.lengthPrefixed()
	}
	if err != nil {
		return nil, err
	}
	switch {
	case d.opts.Goavro && r.kind != kString:
		return jsonw.Latin1(dst, b), nil
	case r.logical == lDecimal:
		return jsonw.String(dst, decimalText(b, r.scale)), nil
	case r.kind == kString:
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("string at offset %d is not valid UTF-8", d.pos-len(b))
		}
		return d.str(dst, b), nil
	default:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"'), nil
	}
}

// enum decodes a symbol, mapped by name onto the reader's enum (or its
// default).
func (d *decoder) enum(w, r *node, dst []byte) ([]byte, error) {
	idx, err := d.long()
	if err != nil {
		return nil, err
	}
	if idx < 0 || idx >= int64(len(w.symbols)) {
		return nil, fmt.Errorf("enum %s index %d out of range at offset %d", w.name, idx, d.pos)
	}
	sym := w.symbols[idx]
	if _, ok := r.symIdx[sym]; !ok {
		if r.enumDef < 0 {
			return nil, fmt.Errorf("symbol %q of enum %s is not in the reader's enum and it has no default", sym, w.name)
		}
		sym = r.symbols[r.enumDef]
	}
	return jsonw.String(dst, sym), nil
}

// decimalText renders a two's-complement unscaled integer with scale
// fractional digits, exactly ("-12.50" for -1250 at scale 2).
func decimalText(b []byte, scale int) string {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if scale == 0 {
		return v.String()
	}
	neg := v.Sign() < 0
	digits := new(big.Int).Abs(v).String()
	for len(digits) <= scale {
		digits = "0" + digits
	}
	s := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// float writes a float in the JSON flavor asked for.
func (d *decoder) float(dst []byte, f float64, bits int) []byte {
	if d.opts.Goavro {
		return jsonw.FloatGoavro(dst, f, bits)
	}
	return jsonw.Float(dst, f, bits)
}

// str writes a string (or map key) in the JSON flavor asked for.
func (d *decoder) str(dst, b []byte) []byte {
	if d.opts.Goavro {
		return jsonw.StringJS(dst, b)
	}
	return jsonw.Bytes(dst, b)
}

// tag is what a tagged union calls branch n: its type name, or in
// goavro's flavor its goavroTag.
func (d *decoder) tag(n *node) string {
	if d.opts.Goavro {
		return n.goavroTag()
	}
	return n.typeName()
}
