// Package jsonscan reads JSON without decoding it into maps: Scanner, a
// small pull parser that serde's schema-guided Avro encoder walks, and
// Field, the one-pass, allocation-free lookup of a value at a path that
// kafka_sink's key_field uses. Both are checked against encoding/json by
// differential fuzzing.
package jsonscan

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner is a small pull parser over one JSON document, just enough for
// a schema-guided encoder: it reports the next value's type, reads
// scalars without allocating (an unescaped string is a slice of the input),
// and walks arrays and objects with callbacks.
type Scanner struct {
	buf []byte
	pos int
	err error
	str []byte // unescaped strings; valid until the next string is read

	depth int // arrays and objects open around pos
}

// maxDepth bounds nesting, as encoding/json does: walking a document
// recurses once per level, and a message of a few megabytes of "[" must
// fail, not exhaust the stack.
const maxDepth = 10000

// enter opens an array or object level; leave closes it.
func (s *Scanner) enter() bool {
	s.depth++
	if s.depth > maxDepth {
		s.Fail("nested deeper than %d levels", maxDepth)
		return false
	}
	return true
}

func (s *Scanner) leave() { s.depth-- }

// ValueType is the JSON type of the next value.
type ValueType uint8

// The JSON types.

const (
	InvalidValue ValueType = iota
	StringValue
	NumberValue
	NullValue
	BoolValue
	ArrayValue
	ObjectValue
)

// Err is the first error the scanner met, or nil.
func (s *Scanner) Err() error { return s.err }

// Finish checks that nothing but white space follows the value read
// last, and returns the scanner's first error.
func (s *Scanner) Finish() error {
	s.SkipWS()
	if s.err == nil && s.pos != len(s.buf) {
		s.err = errTrailing
	}
	return s.err
}

// Reset starts reading the document b.
func (s *Scanner) Reset(b []byte) {
	s.buf, s.pos, s.err, s.depth = b, 0, nil, 0
}

// Fail records the first error, at the current offset.
func (s *Scanner) Fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("invalid JSON at offset %d: %s", s.pos, fmt.Sprintf(format, args...))
	}
}

// SkipWS skips white space.
func (s *Scanner) SkipWS() {
	// Every read starts here, mostly at a byte that is not space.
	if s.pos < len(s.buf) && s.buf[s.pos] > ' ' {
		return
	}
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// Next reports the type of the next value without consuming it.
func (s *Scanner) Next() ValueType {
	s.SkipWS()
	if s.err != nil || s.pos >= len(s.buf) {
		return InvalidValue
	}
	switch c := s.buf[s.pos]; {
	case c == '"':
		return StringValue
	case c == '-' || c >= '0' && c <= '9':
		return NumberValue
	case c == 'n':
		return NullValue
	case c == 't' || c == 'f':
		return BoolValue
	case c == '[':
		return ArrayValue
	case c == '{':
		return ObjectValue
	}
	return InvalidValue
}

func (s *Scanner) literal(lit string) bool {
	if len(s.buf)-s.pos >= len(lit) && string(s.buf[s.pos:s.pos+len(lit)]) == lit {
		s.pos += len(lit)
		return true
	}
	s.Fail("expected %s", lit)
	return false
}

// ReadNil consumes a null.
func (s *Scanner) ReadNil() { s.SkipWS(); s.literal("null") }

// ReadBool consumes a boolean.
func (s *Scanner) ReadBool() bool {
	s.SkipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == 't' {
		return s.literal("true")
	}
	s.literal("false")
	return false
}

// ReadNumber returns the number's text; strconv checks its form.
func (s *Scanner) ReadNumber() []byte {
	s.SkipWS()
	start := s.pos
	for s.pos < len(s.buf) && numberByte[s.buf[s.pos]] {
		s.pos++
	}
	if s.pos == start {
		s.Fail("expected a number")
	}
	return s.buf[start:s.pos]
}

// numberByte marks the bytes a number's text is made of.
var numberByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789-+.eE") {
		t[c] = true
	}
	return t
}()

// ReadString returns the string's bytes, unescaped.
func (s *Scanner) ReadString() []byte {
	s.SkipWS()
	if s.pos >= len(s.buf) || s.buf[s.pos] != '"' {
		s.Fail("expected a string")
		return nil
	}
	s.pos++
	start := s.pos
	// Most of a document is plain string bytes: skip them with one table
	// lookup each, and sort out what stopped the run afterwards.
	i, buf := s.pos, s.buf
	for i < len(buf) && !stringStop[buf[i]] {
		i++
	}
	s.pos = i
	if i >= len(buf) {
		s.Fail("unterminated string")
		return nil
	}
	switch buf[i] {
	case '"':
		s.pos++
		return buf[start:i]
	case '\\':
		return s.readEscaped(start)
	}
	s.Fail("control character in a string")
	return nil
}

// stringStop marks the bytes that end a run of plain string bytes: the
// closing quote, an escape, and the control characters JSON forbids.
var stringStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (s *Scanner) readEscaped(start int) []byte {
	out := append(s.str[:0], s.buf[start:s.pos]...)
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.str = out
			return out
		case c < 0x20:
			s.Fail("control character in a string")
			return nil
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.buf) {
			break
		}
		e := s.buf[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if s.pos+1 < len(s.buf) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					s.pos += 2
					if r2, ok = s.hex4(); !ok {
						return nil
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			s.Fail("bad escape \\%c", e)
			return nil
		}
	}
	s.Fail("unterminated string")
	return nil
}

func (s *Scanner) hex4() (rune, bool) {
	if len(s.buf)-s.pos < 4 {
		s.Fail("short \\u escape")
		return 0, false
	}
	var r rune
	for _, c := range s.buf[s.pos : s.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			s.Fail("bad \\u escape")
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

func (s *Scanner) expect(c byte) bool {
	s.SkipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == c {
		s.pos++
		return true
	}
	s.Fail("expected %q", c)
	return false
}

// ReadArray calls each for every element; each must consume the element.
// It returns false if each or the JSON stopped it.
func (s *Scanner) ReadArray(each func() bool) bool {
	if !s.expect('[') || !s.enter() {
		return false
	}
	defer s.leave()
	s.SkipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == ']' {
		s.pos++
		return true
	}
	for {
		if !each() || s.err != nil {
			return false
		}
		s.SkipWS()
		if s.pos < len(s.buf) && s.buf[s.pos] == ',' {
			s.pos++
			continue
		}
		return s.expect(']')
	}
}

// ReadObject calls each with every key; each must consume the value. The
// key is valid until the value is read (escaped keys are copied).
func (s *Scanner) ReadObject(each func(key []byte) bool) bool {
	if !s.expect('{') || !s.enter() {
		return false
	}
	defer s.leave()
	s.SkipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == '}' {
		s.pos++
		return true
	}
	for {
		key := s.ReadString()
		if s.err != nil {
			return false
		}
		if len(s.str) > 0 && len(key) > 0 && &key[0] == &s.str[0] {
			key = append([]byte(nil), key...) // escaped: the next string would overwrite it
		}
		if !s.expect(':') || !each(key) || s.err != nil {
			return false
		}
		s.SkipWS()
		if s.pos < len(s.buf) && s.buf[s.pos] == ',' {
			s.pos++
			continue
		}
		return s.expect('}')
	}
}

// Skip consumes one value of any type.
func (s *Scanner) Skip() {
	switch s.Next() {
	case StringValue:
		s.ReadString()
	case NumberValue:
		s.ReadNumber()
	case NullValue:
		s.ReadNil()
	case BoolValue:
		s.ReadBool()
	case ArrayValue:
		s.ReadArray(func() bool { s.Skip(); return true })
	case ObjectValue:
		s.ReadObject(func([]byte) bool { s.Skip(); return true })
	default:
		s.Fail("expected a value")
	}
}

// SkipRaw consumes one value and returns its text.
func (s *Scanner) SkipRaw() []byte {
	s.SkipWS()
	start := s.pos
	s.Skip()
	return s.buf[start:s.pos]
}

var errTrailing = errors.New("invalid JSON: data after the document")
