package avro

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde"
)

// encodeArray encodes the items into the scratch buffer of this depth,
// then appends them as one block.
func encodeArray(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int, t jsonscan.ValueType) ([]byte, error) {
	if t != jsonscan.ArrayValue {
		return nil, mismatch(n, t)
	}
	buf := st.buf(depth)
	count := 0
	var err error
	st.it.ReadArray(func() bool {
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
}

// encodeMap encodes a JSON object as an Avro map, as one block.
func encodeMap(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int, t jsonscan.ValueType) ([]byte, error) {
	if t != jsonscan.ObjectValue {
		return nil, mismatch(n, t)
	}
	buf := st.buf(depth)
	count := 0
	var err error
	st.it.ReadObject(func(key []byte) bool {
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
			if opts.IgnoreExtraFields || opts.Goavro {
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

// appendBlock appends count encoded items as one Avro block followed by the
// end marker (a count of zero).
func appendBlock(dst, items []byte, count int) []byte {
	if count > 0 {
		dst = appendLong(dst, int64(count))
		dst = append(dst, items...)
	}
	return append(dst, 0)
}
