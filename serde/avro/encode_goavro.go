package avro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde"
)

// encodeUnionGoavro puts a JSON value in a union as linkedin/goavro's
// heirs do (twmb/avro, which Redpanda Connect's schema_registry_encode
// runs), so a document that encoded there encodes here to the same
// bytes: an object with one key naming a branch (by type name or by
// "<type>.<logicalType>") is that branch's value, if it encodes as it;
// null takes the null branch; a string goes to a string branch and a
// boolean to a boolean branch first; anything else goes to the first
// branch, in schema order, that takes it.
func encodeUnionGoavro(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int, t jsonscan.ValueType) ([]byte, error) {
	it := st.it
	if i, ok := n.nullBranch(); ok && t == jsonscan.NullValue {
		it.ReadNil()
		return appendLong(dst, int64(i)), nil
	}
	raw := it.SkipRaw()
	if it.Err() != nil {
		return nil, it.Err()
	}
	try := func(i int, doc []byte) ([]byte, error) {
		sub := encStates.Get().(*encState)
		defer encStates.Put(sub)
		sub.it.Reset(doc)
		out, err := encodeValue(sub, n.branches[i], opts, appendLong(dst, int64(i)), depth+1)
		if err == nil {
			err = sub.it.Finish()
		}
		return out, err
	}
	if t == jsonscan.ObjectValue {
		if i, inner, ok := taggedBranch(n, raw); ok {
			if out, err := try(i, inner); err == nil {
				return out, nil
			}
		}
	}
	var lastErr error
	tried := -1
	if want := map[jsonscan.ValueType]kind{jsonscan.StringValue: kString, jsonscan.BoolValue: kBoolean}[t]; want != kNull {
		for i, b := range n.branches {
			if b.kind == want {
				out, err := try(i, raw)
				if err == nil {
					return out, nil
				}
				lastErr, tried = err, i
				break
			}
		}
	}
	for i := range n.branches {
		if i == tried {
			continue
		}
		out, err := try(i, raw)
		if err == nil {
			return out, nil
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = errors.New("no branch")
	}
	return nil, fmt.Errorf("%s matches no branch of the union %v: %w", jsonTypeName(t), unionNames(n), lastErr)
}

// taggedBranch reads raw, an object, as a tagged union value: one key,
// naming a branch. It returns the branch and the value's JSON.
func taggedBranch(n *node, raw []byte) (int, []byte, bool) {
	var s jsonscan.Scanner
	s.Reset(raw)
	if s.Next() != jsonscan.ObjectValue {
		return 0, nil, false
	}
	idx, keys := -1, 0
	var inner []byte
	s.ReadObject(func(key []byte) bool {
		keys++
		if keys > 1 {
			return false
		}
		for i, b := range n.branches {
			if b.typeName() == string(key) || b.goavroTag() == string(key) {
				idx = i
			}
		}
		inner = append([]byte(nil), s.SkipRaw()...)
		return true
	})
	if s.Err() != nil || keys != 1 || idx < 0 {
		return 0, nil, false
	}
	return idx, inner, true
}

// encodeBytesGoavro encodes bytes as goavro's heirs take them from JSON:
// a decimal from its number, other bytes as the string's own (UTF-8)
// bytes. A fixed cannot be written from JSON text there, so here neither.
func encodeBytesGoavro(it *jsonscan.Scanner, n *node, t jsonscan.ValueType, dst []byte) ([]byte, error) {
	if n.logical == lDecimal {
		return encodeBytes(it, n, t, dst)
	}
	if n.kind == kFixed {
		return nil, fmt.Errorf("fixed %s cannot be written from JSON in Redpanda Connect's Avro dialect", n.name)
	}
	if t != jsonscan.StringValue {
		return nil, mismatch(n, t)
	}
	s := it.ReadString()
	dst = appendLong(dst, int64(len(s)))
	return append(dst, s...), nil
}

// encodeFloatGoavro encodes a JSON number as a float or double; a number
// too large for it (1e999, goavro's infinity) is an infinity.
func encodeFloatGoavro(n *node, num string, dst []byte) ([]byte, error) {
	f, err := strconv.ParseFloat(num, 64)
	var ne *strconv.NumError
	if err != nil && !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
		return nil, fmt.Errorf("%s is not a number", num)
	}
	if n.kind == kFloat {
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
	}
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
}
