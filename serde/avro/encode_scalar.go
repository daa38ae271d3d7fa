package avro

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde/internal/jsonw"
)

// encodeNumeric encodes an int, long, float or double: a JSON number, or a
// string (NaN and the infinities for floats; a timestamp, date or time for
// integers with a logical type).
func encodeNumeric(it *jsonscan.Scanner, n *node, t jsonscan.ValueType, dst []byte) ([]byte, error) {
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
}

// encodeString encodes a string (checked to be UTF-8, and, with
// checkUUID, a UUID when its logical type says so).
func encodeString(it *jsonscan.Scanner, n *node, t jsonscan.ValueType, dst []byte, checkUUID bool) ([]byte, error) {
	if t != jsonscan.StringValue {
		return nil, mismatch(n, t)
	}
	s := it.ReadString()
	if !utf8.Valid(s) {
		return nil, errors.New("string is not valid UTF-8")
	}
	if checkUUID && n.logical == lUUID && !validUUID(s) {
		return nil, fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
	}
	dst = appendLong(dst, int64(len(s)))
	return append(dst, s...), nil
}

// encodeBytes encodes bytes (length-prefixed) or fixed (exactly its size).
func encodeBytes(it *jsonscan.Scanner, n *node, t jsonscan.ValueType, dst []byte) ([]byte, error) {
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
}

// encodeEnum encodes a symbol as its index.
func encodeEnum(it *jsonscan.Scanner, n *node, t jsonscan.ValueType, dst []byte) ([]byte, error) {
	if t != jsonscan.StringValue {
		return nil, mismatch(n, t)
	}
	s := string(it.ReadString())
	i, ok := n.symIdx[s]
	if !ok {
		return nil, fmt.Errorf("%q is not a symbol of enum %s %v", s, n.name, n.symbols)
	}
	return appendLong(dst, int64(i)), nil
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

// appendLong appends v as an Avro long: zig-zag, then a base-128 varint.
func appendLong(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}
