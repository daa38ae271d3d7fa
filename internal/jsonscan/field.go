package serde

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// JSONKind is the kind of value JSONField found.
type JSONKind uint8

const (
	// JSONMissing: the path does not lead to a value (a missing key, an
	// index out of range, or a step into a scalar).
	JSONMissing JSONKind = iota
	JSONNull
	JSONString // Text is the string, unescaped
	JSONNumber // Text is the number as written
	JSONBool   // Text is true or false
	// JSONComposite: an object or an array; Text is its JSON as written.
	JSONComposite
)

// ErrNotJSON reports a document JSONField cannot read as JSON.
var ErrNotJSON = errors.New("not a JSON document")

// JSONField finds the value at path (object keys, or decimal indexes into
// arrays) in the JSON document doc without decoding the rest of it. The
// whole document is checked to be JSON first. Where an object repeats a
// key, the last one wins, as with encoding/json. Text aliases doc, or for
// a string with escapes, memory of its own; either way it stays valid, and
// must be left unchanged, for as long as doc is.
//
// It is the fast path for extracting record keys from messages: a scan of
// the bytes, no maps and no allocations for a string or number key.
func JSONField(doc []byte, path []string) (JSONKind, []byte, error) {
	var s scanner
	s.reset(doc)
	at := -1
	s.find(path, 0, &at)
	s.skipWS()
	if s.err == nil && s.pos != len(s.buf) {
		s.err = errTrailing
	}
	if s.err != nil {
		return JSONMissing, nil, errors.Join(ErrNotJSON, s.err)
	}
	if at < 0 {
		return JSONMissing, nil, nil
	}
	s.pos = at
	switch s.next() {
	case stringValue:
		str := s.readString()
		if s.err == nil && !utf8.Valid(str) {
			// encoding/json would replace the invalid bytes; leave
			// that to it.
			return JSONMissing, nil, errors.Join(ErrNotJSON, errors.New("invalid UTF-8 in the string"))
		}
		return JSONString, str, s.err
	case numberValue:
		return JSONNumber, s.readNumber(), s.err
	case boolValue:
		start := s.pos
		s.readBool()
		return JSONBool, s.buf[start:s.pos], s.err
	case nilValue:
		return JSONNull, nil, nil
	default:
		return JSONComposite, s.skipRaw(), s.err
	}
}

// find validates one value, the one reached by path[:level], and sets *at
// to the offset of the value at the end of path when it lies inside. It is
// one pass over the document: everything off the path is validated and
// skipped. A key repeated in an object supersedes what its earlier
// occurrence found, as the last duplicate wins in encoding/json.
func (s *scanner) find(path []string, level int, at *int) {
	if level == len(path) {
		s.skipWS()
		*at = s.pos
		s.validate()
		return
	}
	switch s.next() {
	case objectValue:
		s.readObject(func(key []byte) bool {
			if string(key) == path[level] {
				*at = -1
				s.find(path, level+1, at)
			} else {
				s.validate()
			}
			return true
		})
	case arrayValue:
		idx, err := strconv.Atoi(path[level])
		if err != nil {
			idx = -1
		}
		i := 0
		s.readArray(func() bool {
			if i == idx {
				s.find(path, level+1, at)
			} else {
				s.validate()
			}
			i++
			return true
		})
	default:
		s.validate()
	}
}

// validate consumes one value like skip, and also holds numbers to JSON's
// grammar, which skip leaves to strconv.
func (s *scanner) validate() {
	switch s.next() {
	case numberValue:
		s.readValidNumber()
	case arrayValue:
		s.readArray(func() bool { s.validate(); return true })
	case objectValue:
		s.readObject(func([]byte) bool { s.validate(); return true })
	default:
		s.skip()
	}
}

// readValidNumber consumes a number held to JSON's grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, in one pass; a bad
// number fails with its whole text, as readNumber reads it.
func (s *scanner) readValidNumber() {
	s.skipWS()
	b, i := s.buf, s.pos
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	ok := true
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		ok = false
	}
	if ok && i < len(b) && b[i] == '.' {
		i++
		ok = digits() > 0
	}
	if ok && i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		ok = digits() > 0
	}
	if ok && (i >= len(b) || !numberByte[b[i]]) {
		s.pos = i
		return
	}
	if n := s.readNumber(); s.err == nil {
		s.fail("invalid number %q", n)
	}
}
