package avro

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"sync"
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

// promotable reports whether data written as w can be read as r.
func promotable(w, r *node) bool {
	if w.kind == r.kind {
		switch w.kind {
		case kFixed:
			return w.size == r.size
		case kArray, kMap:
			return promotable(w.items, r.items)
		}
		return true
	}
	switch w.kind {
	case kInt:
		return r.kind == kLong || r.kind == kFloat || r.kind == kDouble
	case kLong:
		return r.kind == kFloat || r.kind == kDouble
	case kFloat:
		return r.kind == kDouble
	case kString:
		return r.kind == kBytes
	case kBytes:
		return r.kind == kString
	}
	return false
}

// pickBranch finds the reader union branch for a writer type: an exact
// kind (and name) first, then a promotion.
func pickBranch(w *node, r *node) (int, bool) {
	for i, b := range r.branches {
		if b.kind == w.kind && (w.name == "" || b.name == "" || b.name == w.name) && promotable(w, b) {
			return i, true
		}
	}
	for i, b := range r.branches {
		if promotable(w, b) {
			return i, true
		}
	}
	return 0, false
}

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
		i, ok := pickBranch(w, r)
		if !ok {
			return nil, fmt.Errorf("written as %s, which no branch of the reader's union %v takes", w.typeName(), unionNames(r))
		}
		rb := r.branches[i]
		if !d.opts.TaggedUnions || rb.kind == kNull {
			return d.value(w, rb, dst)
		}
		dst = append(dst, '{')
		dst = jsonw.String(dst, rb.typeName())
		dst = append(dst, ':')
		dst, err := d.value(w, rb, dst)
		if err != nil {
			return nil, err
		}
		return append(dst, '}'), nil
	}
	if !promotable(w, r) {
		return nil, fmt.Errorf("written as %s, cannot be read as %s", w.typeName(), r.typeName())
	}
	switch w.kind {
	case kNull:
		return append(dst, "null"...), nil
	case kBoolean:
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
	case kInt, kLong:
		v, err := d.long()
		if err != nil {
			return nil, err
		}
		if w.kind == kInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return nil, fmt.Errorf("int %d out of range at offset %d", v, d.pos)
		}
		if r.kind == kFloat || r.kind == kDouble {
			return jsonw.Float(dst, float64(v), 64), nil
		}
		return strconv.AppendInt(dst, v, 10), nil
	case kFloat:
		b, err := d.next(4)
		if err != nil {
			return nil, err
		}
		return jsonw.Float(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32), nil
	case kDouble:
		b, err := d.next(8)
		if err != nil {
			return nil, err
		}
		return jsonw.Float(dst, math.Float64frombits(binary.LittleEndian.Uint64(b)), 64), nil
	case kString, kBytes, kFixed:
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
		case r.logical == lDecimal:
			return jsonw.String(dst, decimalText(b, r.scale)), nil
		case r.kind == kString:
			if !utf8.Valid(b) {
				return nil, fmt.Errorf("string at offset %d is not valid UTF-8", d.pos-len(b))
			}
			return jsonw.Bytes(dst, b), nil
		default:
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, b)
			return append(dst, '"'), nil
		}
	case kEnum:
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
	case kArray, kMap:
		return d.blocks(w, r, dst)
	case kRecord:
		return d.record(w, r, dst)
	}
	return nil, fmt.Errorf("unsupported type %s", w.kind)
}

func (d *decoder) blocks(w, r *node, dst []byte) ([]byte, error) {
	open, shut := byte('['), byte(']')
	if w.kind == kMap {
		open, shut = '{', '}'
	}
	dst = append(dst, open)
	first := true
	total := int64(0)
	for {
		count, err := d.long()
		if err != nil {
			return nil, err
		}
		if count == 0 {
			return append(dst, shut), nil
		}
		if count < 0 {
			count = -count
			if _, err := d.long(); err != nil { // block size in bytes
				return nil, err
			}
		}
		total += count
		if total > int64(len(d.data)-d.pos)+maxZeroSizeItems {
			return nil, fmt.Errorf("%w: block of %d items at offset %d cannot fit in %d bytes", serde.ErrTruncated, count, d.pos, len(d.data)-d.pos)
		}
		for i := int64(0); i < count; i++ {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			if w.kind == kMap {
				k, err := d.lengthPrefixed()
				if err != nil {
					return nil, err
				}
				if !utf8.Valid(k) {
					return nil, fmt.Errorf("map key at offset %d is not valid UTF-8", d.pos-len(k))
				}
				dst = jsonw.Bytes(dst, k)
				dst = append(dst, ':')
			}
			if dst, err = d.value(w.items, r.items, dst); err != nil {
				return nil, err
			}
		}
	}
}

// recordPlan maps a writer record onto a reader record.
type recordPlan struct {
	target  []int // per writer field: the reader field index, or -1 to skip
	missing []int // reader fields the writer lacks, filled from defaults
}

var plans sync.Map // [2]*node -> *recordPlan

func planFor(w, r *node) (*recordPlan, error) {
	key := [2]*node{w, r}
	if p, ok := plans.Load(key); ok {
		return p.(*recordPlan), nil
	}
	p := &recordPlan{target: make([]int, len(w.fields))}
	matched := make([]bool, len(r.fields))
	for i, wf := range w.fields {
		p.target[i] = -1
		if j, ok := r.fieldIdx[wf.name]; ok {
			p.target[i], matched[j] = j, true
			continue
		}
		for j, rf := range r.fields {
			for _, a := range rf.aliases {
				if a == wf.name && !matched[j] {
					p.target[i], matched[j] = j, true
				}
			}
		}
	}
	for j, ok := range matched {
		if !ok {
			if !r.fields[j].hasDef {
				return nil, fmt.Errorf("reader field %s.%s is not in the writer schema and has no default", r.name, r.fields[j].name)
			}
			p.missing = append(p.missing, j)
		}
	}
	plans.Store(key, p)
	return p, nil
}

func (d *decoder) record(w, r *node, dst []byte) ([]byte, error) {
	p, err := planFor(w, r)
	if err != nil {
		return nil, err
	}
	dst = append(dst, '{')
	first := true
	for i, wf := range w.fields {
		j := p.target[i]
		if j < 0 {
			if err := d.skip(wf.node); err != nil {
				return nil, fmt.Errorf("skipping %s.%s: %w", w.name, wf.name, err)
			}
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		rf := r.fields[j]
		dst = jsonw.String(dst, rf.name)
		dst = append(dst, ':')
		if dst, err = d.value(wf.node, rf.node, dst); err != nil {
			return nil, atPath("."+rf.name, err)
		}
	}
	for _, j := range p.missing {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		rf := r.fields[j]
		dst = jsonw.String(dst, rf.name)
		dst = append(dst, ':')
		if d.opts.TaggedUnions && rf.node.kind == kUnion {
			// Defaults are stored bare; re-decode the encoded default so
			// a tagged union default gets its tag.
			sub := &decoder{data: rf.def, opts: d.opts}
			if dst, err = sub.value(rf.node, rf.node, dst); err != nil {
				return nil, err
			}
			continue
		}
		dst = append(dst, rf.defJSON...)
	}
	return append(dst, '}'), nil
}

// skip moves past a value the reader does not want.
func (d *decoder) skip(w *node) error {
	switch w.kind {
	case kNull:
		return nil
	case kBoolean:
		_, err := d.next(1)
		return err
	case kInt, kLong, kEnum:
		_, err := d.long()
		return err
	case kFloat:
		_, err := d.next(4)
		return err
	case kDouble:
		_, err := d.next(8)
		return err
	case kString, kBytes:
		_, err := d.lengthPrefixed()
		return err
	case kFixed:
		_, err := d.next(w.size)
		return err
	case kUnion:
		idx, err := d.long()
		if err != nil {
			return err
		}
		if idx < 0 || idx >= int64(len(w.branches)) {
			return fmt.Errorf("union branch %d out of range at offset %d", idx, d.pos)
		}
		return d.skip(w.branches[idx])
	case kRecord:
		for _, f := range w.fields {
			if err := d.skip(f.node); err != nil {
				return err
			}
		}
		return nil
	case kArray, kMap:
		total := int64(0)
		for {
			count, err := d.long()
			if err != nil {
				return err
			}
			if count == 0 {
				return nil
			}
			if count < 0 {
				size, err := d.long()
				if err != nil {
					return err
				}
				if _, err := d.next(int(size)); err != nil {
					return err
				}
				continue
			}
			total += count
			if total > int64(len(d.data)-d.pos)+maxZeroSizeItems {
				return fmt.Errorf("%w: block of %d items at offset %d", serde.ErrTruncated, count, d.pos)
			}
			for i := int64(0); i < count; i++ {
				if w.kind == kMap {
					if _, err := d.lengthPrefixed(); err != nil {
						return err
					}
				}
				if err := d.skip(w.items); err != nil {
					return err
				}
			}
		}
	}
	return fmt.Errorf("unsupported type %s", w.kind)
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
