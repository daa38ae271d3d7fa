package avro

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/jsonw"
)

// The JSON -> Avro encoder walks the JSON text with a streaming iterator,
// guided by the compiled schema, and appends Avro binary as it goes: no
// generic map or interface value is built for the document. Record fields
// may arrive in any order, so each record encodes its fields into a scratch
// buffer and then appends them in schema order.

// pathError carries the field path of an error out of the recursion; the
// path is built only when something fails.
type pathError struct {
	path []string // innermost first
	err  error
}

func (e *pathError) Error() string {
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		b.WriteString(e.path[i])
	}
	p := b.String()
	if p == "" {
		p = "(root)"
	}
	return fmt.Sprintf("at %s: %v", p, e.err)
}

func (e *pathError) Unwrap() error { return e.err }

func atPath(seg string, err error) error {
	var pe *pathError
	if errors.As(err, &pe) {
		pe.path = append(pe.path, seg)
		return pe
	}
	return &pathError{path: []string{seg}, err: err}
}

type encState struct {
	it      *jsonscan.Scanner
	scratch [][]byte
	segs    [][]int
}

func (st *encState) buf(depth int) []byte {
	for len(st.scratch) <= depth {
		st.scratch = append(st.scratch, make([]byte, 0, 256))
		st.segs = append(st.segs, nil)
	}
	return st.scratch[depth][:0]
}

var encStates = sync.Pool{New: func() any {
	return &encState{it: &jsonscan.Scanner{}}
}}

// jsonToAvro appends the Avro encoding of the JSON document js to dst.
func jsonToAvro(root *node, opts serde.JSONOptions, dst, js []byte) ([]byte, error) {
	st := encStates.Get().(*encState)
	defer encStates.Put(st)
	st.it.Reset(js)
	out, err := encodeValue(st, root, opts, dst, 0)
	if err != nil {
		return nil, err
	}
	if err := st.it.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}

func jsonTypeName(t jsonscan.ValueType) string {
	switch t {
	case jsonscan.StringValue:
		return "a string"
	case jsonscan.NumberValue:
		return "a number"
	case jsonscan.NullValue:
		return "null"
	case jsonscan.BoolValue:
		return "a boolean"
	case jsonscan.ArrayValue:
		return "an array"
	case jsonscan.ObjectValue:
		return "an object"
	}
	return "invalid JSON"
}

func mismatch(n *node, t jsonscan.ValueType) error {
	want := n.kind.String()
	if n.name != "" {
		want += " " + n.name
	}
	return fmt.Errorf("expected %s, got %s", want, jsonTypeName(t))
}

func encodeValue(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int) ([]byte, error) {
	it := st.it
	t := it.Next()
	if it.Err() != nil {
		return nil, it.Err()
	}
	if t == jsonscan.InvalidValue {
		it.Fail("expected a value")
		return nil, it.Err()
	}
	switch n.kind {
	case kNull:
		if t != jsonscan.NullValue {
			return nil, mismatch(n, t)
		}
		it.ReadNil()
		return dst, nil
	case kBoolean:
		if t != jsonscan.BoolValue {
			return nil, mismatch(n, t)
		}
		if it.ReadBool() {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case kInt, kLong, kFloat, kDouble:
		if t == jsonscan.NumberValue {
			return encodeNumber(n, string(it.ReadNumber()), dst)
		}
		if t != jsonscan.StringValue {
			return nil, mismatch(n, t)
		}
		if n.kind == kFloat || n.kind == kDouble {
			f, err := jsonw.ParseSpecial(string(it.ReadString()))
			if err != nil {
				return nil, err
			}
			if n.kind == kFloat {
				return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
			}
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
		}
		v, err := readTimeString(string(it.ReadString()), n)
		if err != nil {
			return nil, err
		}
		if n.kind == kInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return nil, fmt.Errorf("%d does not fit an Avro int (32-bit)", v)
		}
		return appendLong(dst, v), nil
	case kString:
		if t != jsonscan.StringValue {
			return nil, mismatch(n, t)
		}
		s := it.ReadString()
		if !utf8.Valid(s) {
			return nil, errors.New("string is not valid UTF-8")
		}
		if n.logical == lUUID && !validUUID(s) {
			return nil, fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
		}
		dst = appendLong(dst, int64(len(s)))
		return append(dst, s...), nil
	case kBytes, kFixed:
		b, err := readBytes(it, n, t)
		if err != nil {
			return nil, err
		}
		if n.kind == kFixed {
			if len(b) != n.size {
				return nil, fmt.Errorf("fixed %s takes %d bytes, got %d", n.name, n.size, len(b))
			}
			return append(dst, b...), nil
		}
		dst = appendLong(dst, int64(len(b)))
		return append(dst, b...), nil
	case kEnum:
		if t != jsonscan.StringValue {
			return nil, mismatch(n, t)
		}
		s := string(it.ReadString())
		i, ok := n.symIdx[s]
		if !ok {
			return nil, fmt.Errorf("%q is not a symbol of enum %s %v", s, n.name, n.symbols)
		}
		return appendLong(dst, int64(i)), nil
	case kArray:
		if t != jsonscan.ArrayValue {
			return nil, mismatch(n, t)
		}
		buf := st.buf(depth)
		count := 0
		var err error
		it.ReadArray(func() bool {
			if buf, err = encodeValue(st, n.items, opts, buf, depth+1); err != nil {
				err = atPath("["+strconv.Itoa(count)+"]", err)
				return false
			}
			count++
			return true
		})
		if err != nil {
			return nil, err
		}
		st.scratch[depth] = buf
		return appendBlock(dst, buf, count), nil
	case kMap:
		if t != jsonscan.ObjectValue {
			return nil, mismatch(n, t)
		}
		buf := st.buf(depth)
		count := 0
		var err error
		it.ReadObject(func(key []byte) bool {
			if !utf8.Valid(key) {
				err = errors.New("map key is not valid UTF-8")
				return false
			}
			buf = appendLong(buf, int64(len(key)))
			buf = append(buf, key...)
			if buf, err = encodeValue(st, n.items, opts, buf, depth+1); err != nil {
				err = atPath("."+string(key), err)
				return false
			}
			count++
			return true
		})
		if err != nil {
			return nil, err
		}
		st.scratch[depth] = buf
		return appendBlock(dst, buf, count), nil
	case kRecord:
		return encodeRecord(st, n, opts, dst, depth, t)
	case kUnion:
		return encodeUnion(st, n, opts, dst, depth, t)
	}
	return nil, fmt.Errorf("unsupported type %s", n.kind)
}

func encodeRecord(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int, t jsonscan.ValueType) ([]byte, error) {
	if t != jsonscan.ObjectValue {
		return nil, mismatch(n, t)
	}
	it := st.it
	buf := st.buf(depth)
	segs := st.segs[depth]
	if cap(segs) < 2*len(n.fields) {
		segs = make([]int, 2*len(n.fields))
	}
	segs = segs[:2*len(n.fields)]
	for i := range segs {
		segs[i] = -1
	}
	var err error
	it.ReadObject(func(key []byte) bool {
		i, ok := n.fieldIdx[string(key)]
		if !ok {
			if opts.IgnoreExtraFields {
				it.Skip()
				return true
			}
			err = atPath("."+string(key), fmt.Errorf("record %s has no field %q (set ignore_extra_fields to drop unknown fields)", n.name, key))
			return false
		}
		if segs[2*i] >= 0 {
			err = atPath("."+string(key), errors.New("field appears twice"))
			return false
		}
		start := len(buf)
		if buf, err = encodeValue(st, n.fields[i].node, opts, buf, depth+1); err != nil {
			err = atPath("."+string(key), err)
			return false
		}
		segs[2*i], segs[2*i+1] = start, len(buf)
		return true
	})
	st.scratch[depth], st.segs[depth] = buf, segs
	if err != nil {
		return nil, err
	}
	if it.Err() != nil {
		return nil, it.Err()
	}
	for i, f := range n.fields {
		switch {
		case segs[2*i] >= 0:
			dst = append(dst, buf[segs[2*i]:segs[2*i+1]]...)
		case f.hasDef:
			dst = append(dst, f.def...)
		default:
			return nil, atPath("."+f.name, errors.New("missing, and the schema gives no default"))
		}
	}
	return dst, nil
}

func encodeUnion(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int, t jsonscan.ValueType) ([]byte, error) {
	it := st.it
	if t == jsonscan.NullValue {
		for i, b := range n.branches {
			if b.kind == kNull {
				it.ReadNil()
				return appendLong(dst, int64(i)), nil
			}
		}
		return nil, errors.New("null is not allowed: the union has no null branch")
	}
	if opts.TaggedUnions {
		if t != jsonscan.ObjectValue {
			return nil, fmt.Errorf("expected a tagged union value {\"<type>\": value}, got %s", jsonTypeName(t))
		}
		var err error
		seen := false
		it.ReadObject(func(key []byte) bool {
			if seen {
				err = errors.New("a tagged union value must have exactly one key")
				return false
			}
			seen = true
			for i, b := range n.branches {
				if b.typeName() == string(key) {
					dst = appendLong(dst, int64(i))
					if dst, err = encodeValue(st, b, opts, dst, depth); err != nil {
						err = atPath("."+string(key), err)
					}
					return err == nil
				}
			}
			err = fmt.Errorf("%q is not a branch of the union %v", key, unionNames(n))
			return false
		})
		if err == nil && !seen {
			err = errors.New("a tagged union value must have exactly one key")
		}
		return dst, err
	}
	// Bare unions: the first branch that takes this JSON type. Records
	// and maps both take objects; a branch that fails to encode gives way
	// to the next one that could take the value.
	var candidates []int
	for i, b := range n.branches {
		if branchTakes(b, t) {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%s matches no branch of the union %v", jsonTypeName(t), unionNames(n))
	}
	if t == jsonscan.NumberValue {
		return encodeUnionNumber(n, string(it.ReadNumber()), candidates, dst)
	}
	if len(candidates) == 1 {
		dst = appendLong(dst, int64(candidates[0]))
		return encodeValue(st, n.branches[candidates[0]], opts, dst, depth)
	}
	raw := it.SkipRaw()
	if it.Err() != nil {
		return nil, it.Err()
	}
	var firstErr error
	for _, i := range candidates {
		sub := encStates.Get().(*encState)
		sub.it.Reset(raw)
		out, err := encodeValue(sub, n.branches[i], opts, appendLong(dst, int64(i)), 0)
		encStates.Put(sub)
		if err == nil {
			return out, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("matches no branch of the union %v: %w", unionNames(n), firstErr)
}

func unionNames(n *node) []string {
	names := make([]string, len(n.branches))
	for i, b := range n.branches {
		names[i] = b.typeName()
	}
	return names
}

// branchTakes reports whether a union branch can take a JSON value of type t.
func branchTakes(b *node, t jsonscan.ValueType) bool {
	switch t {
	case jsonscan.BoolValue:
		return b.kind == kBoolean
	case jsonscan.NumberValue:
		switch b.kind {
		case kInt, kLong, kFloat, kDouble:
			return true
		case kBytes, kFixed:
			return b.logical == lDecimal
		}
	case jsonscan.StringValue:
		switch b.kind {
		case kString, kEnum, kBytes, kFixed:
			return true
		case kInt, kLong:
			return b.logical != lNone
		case kFloat, kDouble:
			return true // "NaN", "Infinity"
		}
	case jsonscan.ArrayValue:
		return b.kind == kArray
	case jsonscan.ObjectValue:
		return b.kind == kRecord || b.kind == kMap
	}
	return false
}

// encodeUnionNumber puts a number in a union: an integral number goes to
// the first int or long branch, a fractional one to the first float or
// double branch, whatever the order of the branches in the schema; a
// decimal branch takes either if nothing else does.
func encodeUnionNumber(n *node, num string, candidates []int, dst []byte) ([]byte, error) {
	integral := !strings.ContainsAny(num, ".eE")
	order := make([]int, 0, len(candidates))
	for pass := 0; pass < 3; pass++ {
		for _, i := range candidates {
			k := n.branches[i].kind
			isInt, isFloat := k == kInt || k == kLong, k == kFloat || k == kDouble
			if (pass == 0 && (isInt && integral || isFloat && !integral)) ||
				(pass == 1 && (isInt && !integral || isFloat && integral)) ||
				(pass == 2 && !isInt && !isFloat) {
				order = append(order, i)
			}
		}
	}
	var firstErr error
	for _, i := range order {
		b := n.branches[i]
		out, err := encodeNumber(b, num, appendLong(dst, int64(i)))
		if err == nil {
			return out, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("%s matches no branch of the union %v: %w", num, unionNames(n), firstErr)
}

// encodeNumber encodes the JSON number text num as the numeric type n.
func encodeNumber(n *node, num string, dst []byte) ([]byte, error) {
	switch n.kind {
	case kInt, kLong:
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(num, 64)
			if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
				return nil, fmt.Errorf("%s is not a whole number that fits an Avro %s", num, n.kind)
			}
			v = int64(f)
		}
		if n.kind == kInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return nil, fmt.Errorf("%d does not fit an Avro int (32-bit)", v)
		}
		return appendLong(dst, v), nil
	case kFloat, kDouble:
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is not a number", num)
		}
		if n.kind == kFloat {
			if math.Abs(f) > math.MaxFloat32 {
				return nil, fmt.Errorf("%g does not fit an Avro float (32-bit)", f)
			}
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
	case kBytes, kFixed:
		if n.logical == lDecimal {
			b, err := encodeDecimal(num, n)
			if err != nil {
				return nil, err
			}
			if n.kind == kBytes {
				dst = appendLong(dst, int64(len(b)))
			}
			return append(dst, b...), nil
		}
	}
	return nil, fmt.Errorf("expected %s, got a number", n.kind)
}

// readTimeString reads the string forms of the time logical types:
// RFC 3339 timestamps, YYYY-MM-DD dates and HH:MM:SS[.ffffff] times.
// Numbers given for these types are taken as already in the schema's unit.
func readTimeString(s string, n *node) (int64, error) {
	switch n.logical {
	case lTimestampMillis, lTimestampMicros, lLocalTimestampMillis, lLocalTimestampMicros:
		ts, err := parseTimestamp(s, n.logical == lLocalTimestampMillis || n.logical == lLocalTimestampMicros)
		if err != nil {
			return 0, err
		}
		if n.logical == lTimestampMillis || n.logical == lLocalTimestampMillis {
			return ts.UnixMilli(), nil
		}
		return ts.UnixMicro(), nil
	case lDate:
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
		}
		return d.Unix() / 86400, nil
	case lTimeMillis, lTimeMicros:
		d, err := time.Parse("15:04:05.999999", s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a time of day (want HH:MM:SS[.ffffff])", s)
		}
		micros := int64(d.Hour())*3_600_000_000 + int64(d.Minute())*60_000_000 + int64(d.Second())*1_000_000 + int64(d.Nanosecond()/1000)
		if n.logical == lTimeMillis {
			return micros / 1000, nil
		}
		return micros, nil
	}
	return 0, fmt.Errorf("expected %s, got a string", n.kind)
}

func parseTimestamp(s string, local bool) (time.Time, error) {
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return ts, nil
	}
	if local {
		if ts, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
			return ts, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z)", s)
}

// readBytes reads bytes or fixed: base64 text, or for decimals the number
// itself (as a JSON number or a string such as "-12.50").
func readBytes(it *jsonscan.Scanner, n *node, t jsonscan.ValueType) ([]byte, error) {
	if n.logical == lDecimal {
		var text string
		switch t {
		case jsonscan.NumberValue:
			text = string(it.ReadNumber())
		case jsonscan.StringValue:
			text = string(it.ReadString())
		default:
			return nil, mismatch(n, t)
		}
		return encodeDecimal(text, n)
	}
	if t != jsonscan.StringValue {
		return nil, mismatch(n, t)
	}
	s := it.ReadString()
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	k, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		return nil, fmt.Errorf("%s takes base64 text: %v", n.kind, err)
	}
	return out[:k], nil
}

// encodeDecimal turns "123.45" into the two's-complement big-endian
// unscaled integer the decimal logical type stores, checking that it has
// no more fractional digits than the scale and fits the precision.
func encodeDecimal(text string, n *node) ([]byte, error) {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", text)
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.scale)), nil)))
	if !scaled.IsInt() {
		return nil, fmt.Errorf("%s has more than %d fractional digits (the decimal's scale)", text, n.scale)
	}
	unscaled := scaled.Num()
	if n.prec > 0 && len(new(big.Int).Abs(unscaled).String()) > n.prec {
		return nil, fmt.Errorf("%s has more than %d digits (the decimal's precision)", text, n.prec)
	}
	b := twosComplement(unscaled)
	if n.kind == kFixed {
		if len(b) > n.size {
			return nil, fmt.Errorf("%s does not fit fixed %s of %d bytes", text, n.name, n.size)
		}
		pad := byte(0)
		if unscaled.Sign() < 0 {
			pad = 0xff
		}
		out := make([]byte, n.size)
		for i := 0; i < n.size-len(b); i++ {
			out[i] = pad
		}
		copy(out[n.size-len(b):], b)
		return out, nil
	}
	return b, nil
}

func twosComplement(v *big.Int) []byte {
	if v.Sign() >= 0 {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -v = ^(v-1): take the magnitude minus one, invert every byte.
	m := new(big.Int).Sub(new(big.Int).Neg(v), big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func validUUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// appendBlock appends count encoded items as one Avro block followed by the
// end marker (a count of zero).
func appendBlock(dst, items []byte, count int) []byte {
	if count > 0 {
		dst = appendLong(dst, int64(count))
		dst = append(dst, items...)
	}
	return append(dst, 0)
}

// appendLong appends v as an Avro long: zig-zag, then a base-128 varint.
func appendLong(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}
