package serde

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small pull parser over one JSON document, just enough for
// the schema-guided encoder: it reports the next value's type, reads
// scalars without allocating (an unescaped string is a slice of the input),
// and walks arrays and objects with callbacks.
type scanner struct {
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
func (s *scanner) enter() bool {
	s.depth++
	if s.depth > maxDepth {
		s.fail("nested deeper than %d levels", maxDepth)
		return false
	}
	return true
}

func (s *scanner) leave() { s.depth-- }

type valueType uint8

const (
	invalidValue valueType = iota
	stringValue
	numberValue
	nilValue
	boolValue
	arrayValue
	objectValue
)

func (s *scanner) reset(b []byte) {
	s.buf, s.pos, s.err, s.depth = b, 0, nil, 0
}

func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("invalid JSON at offset %d: %s", s.pos, fmt.Sprintf(format, args...))
	}
}

func (s *scanner) skipWS() {
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

// next reports the type of the next value without consuming it.
func (s *scanner) next() valueType {
	s.skipWS()
	if s.err != nil || s.pos >= len(s.buf) {
		return invalidValue
	}
	switch c := s.buf[s.pos]; {
	case c == '"':
		return stringValue
	case c == '-' || c >= '0' && c <= '9':
		return numberValue
	case c == 'n':
		return nilValue
	case c == 't' || c == 'f':
		return boolValue
	case c == '[':
		return arrayValue
	case c == '{':
		return objectValue
	}
	return invalidValue
}

func (s *scanner) literal(lit string) bool {
	if len(s.buf)-s.pos >= len(lit) && string(s.buf[s.pos:s.pos+len(lit)]) == lit {
		s.pos += len(lit)
		return true
	}
	s.fail("expected %s", lit)
	return false
}

func (s *scanner) readNil() { s.skipWS(); s.literal("null") }

func (s *scanner) readBool() bool {
	s.skipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == 't' {
		return s.literal("true")
	}
	s.literal("false")
	return false
}

// readNumber returns the number's text; strconv checks its form.
func (s *scanner) readNumber() []byte {
	s.skipWS()
	start := s.pos
	for s.pos < len(s.buf) && numberByte[s.buf[s.pos]] {
		s.pos++
	}
	if s.pos == start {
		s.fail("expected a number")
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

// readString returns the string's bytes, unescaped.
func (s *scanner) readString() []byte {
	s.skipWS()
	if s.pos >= len(s.buf) || s.buf[s.pos] != '"' {
		s.fail("expected a string")
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
		s.fail("unterminated string")
		return nil
	}
	switch buf[i] {
	case '"':
		s.pos++
		return buf[start:i]
	case '\\':
		return s.readEscaped(start)
	}
	s.fail("control character in a string")
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

func (s *scanner) readEscaped(start int) []byte {
	out := append(s.str[:0], s.buf[start:s.pos]...)
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.str = out
			return out
		case c < 0x20:
			s.fail("control character in a string")
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
			s.fail("bad escape \\%c", e)
			return nil
		}
	}
	s.fail("unterminated string")
	return nil
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.buf)-s.pos < 4 {
		s.fail("short \\u escape")
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
			s.fail("bad \\u escape")
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

func (s *scanner) expect(c byte) bool {
	s.skipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == c {
		s.pos++
		return true
	}
	s.fail("expected %q", c)
	return false
}

// readArray calls each for every element; each must consume the element.
// It returns false if each or the JSON stopped it.
func (s *scanner) readArray(each func() bool) bool {
	if !s.expect('[') || !s.enter() {
		return false
	}
	defer s.leave()
	s.skipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == ']' {
		s.pos++
		return true
	}
	for {
		if !each() || s.err != nil {
			return false
		}
		s.skipWS()
		if s.pos < len(s.buf) && s.buf[s.pos] == ',' {
			s.pos++
			continue
		}
		return s.expect(']')
	}
}

// readObject calls each with every key; each must consume the value. The
// key is valid until the value is read (escaped keys are copied).
func (s *scanner) readObject(each func(key []byte) bool) bool {
	if !s.expect('{') || !s.enter() {
		return false
	}
	defer s.leave()
	s.skipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == '}' {
		s.pos++
		return true
	}
	for {
		key := s.readString()
		if s.err != nil {
			return false
		}
		if len(s.str) > 0 && len(key) > 0 && &key[0] == &s.str[0] {
			key = append([]byte(nil), key...) // escaped: the next string would overwrite it
		}
		if !s.expect(':') || !each(key) || s.err != nil {
			return false
		}
		s.skipWS()
		if s.pos < len(s.buf) && s.buf[s.pos] == ',' {
			s.pos++
			continue
		}
		return s.expect('}')
	}
}

// skip consumes one value of any type.
func (s *scanner) skip() {
	switch s.next() {
	case stringValue:
		s.readString()
	case numberValue:
		s.readNumber()
	case nilValue:
		s.readNil()
	case boolValue:
		s.readBool()
	case arrayValue:
		s.readArray(func() bool { s.skip(); return true })
	case objectValue:
		s.readObject(func([]byte) bool { s.skip(); return true })
	default:
		s.fail("expected a value")
	}
}

// skipRaw consumes one value and returns its text.
func (s *scanner) skipRaw() []byte {
	s.skipWS()
	start := s.pos
	s.skip()
	return s.buf[start:s.pos]
}

var errTrailing = errors.New("invalid JSON: data after the document")
