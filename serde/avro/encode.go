package avro

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde"
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

// encodeValue encodes the next JSON value as n, dispatching on n's kind.
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
		if opts.Goavro && t == jsonscan.NumberValue && (n.kind == kFloat || n.kind == kDouble) {
			return encodeFloatGoavro(n, string(it.ReadNumber()), dst)
		}
		return encodeNumeric(it, n, t, dst)
	case kString:
		return encodeString(it, n, t, dst, !opts.Goavro)
	case kBytes, kFixed:
		if opts.Goavro {
			return encodeBytesGoavro(it, n, t, dst)
		}
		return encodeBytes(it, n, t, dst)
	case kEnum:
		return encodeEnum(it, n, t, dst)
	case kArray:
		return encodeArray(st, n, opts, dst, depth, t)
	case kMap:
		return encodeMap(st, n, opts, dst, depth, t)
	case kRecord:
		return encodeRecord(st, n, opts, dst, depth, t)
	case kUnion:
		return encodeUnion(st, n, opts, dst, depth, t)
	}
	return nil, fmt.Errorf("unsupported type %s", n.kind)
}
