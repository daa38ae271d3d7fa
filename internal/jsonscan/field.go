package jsonscan

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Kind is the kind of value Field found.
type Kind uint8

const (
	// Missing: the path does not lead to a value (a missing key, an
	// index out of range, or a step into a scalar).
	Missing Kind = iota
	Null
	String // Text is the string, unescaped
	Number // Text is the number as written
	Bool   // Text is true or false
	// Composite: an object or an array; Text is its JSON as written.
	Composite
)

// ErrNotJSON reports a document Field cannot read as JSON.
var ErrNotJSON = errors.New("not a JSON document")

// Field finds the value at path (object keys, or decimal indexes into
// arrays) in the JSON document doc without decoding the rest of it. The
// whole document is checked to be JSON first. Where an object repeats a
// key, the last one wins, as with encoding/json. Text aliases doc, or for
// a string with escapes, memory of its own; either way it stays valid, and
// must be left unchanged, for as long as doc is.
//
// It is the fast path for extracting record keys from messages: a scan of
// the bytes, no maps and no allocations for a string or number key.
func Field(doc []byte, path []string) (Kind, []byte, error) {
	var s Scanner
	s.Reset(doc)
	at := -1
	s.find(path, 0, &at)
	if err := s.Finish(); err != nil {
		return Missing, nil, errors.Join(ErrNotJSON, err)
	}
	if at < 0 {
		return Missing, nil, nil
	}
	s.pos = at
	switch s.Next() {
	case StringValue:
		str := s.ReadString()
		if s.err == nil && !utf8.Valid(str) {
			// encoding/json would replace the invalid bytes; leave
			// that to it.
			return Missing, nil, errors.Join(ErrNotJSON, errors.New("invalid UTF-8 in the string"))
		}
		return String, str, s.err
	case NumberValue:
		return Number, s.ReadNumber(), s.err
	case BoolValue:
		start := s.pos
		s.ReadBool()
		return Bool, s.buf[start:s.pos], s.err
	case NullValue:
		return Null, nil, nil
	default:
		return Composite, s.SkipRaw(), s.err
	}
}

// find validates one value, the one reached by path[:level], and sets *at
// to the offset of the value at the end of path when it lies inside. It is
// one pass over the document: everything off the path is validated and
// skipped. A key repeated in an object supersedes what its earlier
// occurrence found, as the last duplicate wins in encoding/json.
func (s *Scanner) find(path []string, level int, at *int) {
	if level == len(path) {
		s.SkipWS()
		*at = s.pos
		s.validate()
		return
	}
	switch s.Next() {
	case ObjectValue:
		s.ReadObject(func(key []byte) bool {
			if string(key) == path[level] {
				*at = -1
				s.find(path, level+1, at)
			} else {
				s.validate()
			}
			return true
		})
	case ArrayValue:
		idx, err := strconv.Atoi(path[level])
		if err != nil {
			idx = -1
		}
		i := 0
		s.ReadArray(func() bool {
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
func (s *Scanner) validate() {
	switch s.Next() {
	case NumberValue:
		s.readValidNumber()
	case ArrayValue:
		s.ReadArray(func() bool { s.validate(); return true })
	case ObjectValue:
		s.ReadObject(func([]byte) bool { s.validate(); return true })
	default:
		s.Skip()
	}
}

// readValidNumber consumes a number held to JSON's grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, in one pass; a bad
// number fails with its whole text, as readNumber reads it.
func (s *Scanner) readValidNumber() {
	s.SkipWS()
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
	if n := s.ReadNumber(); s.err == nil {
		s.Fail("invalid number %q", n)
	}
}
