package avro

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde"
)

func encodeUnion(st *encState, n *node, opts serde.JSONOptions, dst []byte, depth int, t jsonscan.ValueType) ([]byte, error) {
	if opts.Goavro {
		return encodeUnionGoavro(st, n, opts, dst, depth, t)
	}
	it := st.it
	if t == jsonscan.NullValue {
		i, ok := n.nullBranch()
		if !ok {
			return nil, errors.New("null is not allowed: the union has no null branch")
		}
		it.ReadNil()
		return appendLong(dst, int64(i)), nil
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
