package jsonw

import "bytes"

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string.
func String(dst []byte, s string) []byte {
	return Bytes(dst, []byte(s))
}

// Bytes appends b as a JSON string: quotes, backslashes and control
// characters escaped (\b \f \n \r \t, else \u00XX, as encoding/json and
// protojson write them), UTF-8 kept as it is.
func Bytes(dst []byte, b []byte) []byte {
	return append(escaped(append(dst, '"'), b), '"')
}

// escaped appends b with Bytes' escapes, without the quotes.
func escaped(dst []byte, b []byte) []byte {
	start := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = escapeByte(append(dst, b[start:i]...), c)
		start = i + 1
	}
	return append(dst, b[start:]...)
}

// escapeByte appends the escape of c, a quote, a backslash or a control
// character: its short form where JSON has one, else \u00XX.
func escapeByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// The UTF-8 of U+2028 and U+2029, which JavaScript-safe encoders escape.
var lineSeparators = [2][]byte{[]byte("\u2028"), []byte("\u2029")}

// StringJS is Bytes, with U+2028 and U+2029 escaped as well, as
// JavaScript-safe encoders (goavro's) write them.
func StringJS(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	for {
		i := bytes.Index(b, []byte{0xe2, 0x80})
		if i < 0 || i+2 >= len(b) {
			break
		}
		if sep := b[i : i+3]; bytes.Equal(sep, lineSeparators[0]) || bytes.Equal(sep, lineSeparators[1]) {
			dst = append(escaped(dst, b[:i]), '\\', 'u', '2', '0', '2', "89"[sep[2]-0xa8])
		} else {
			dst = escaped(dst, b[:i+3])
		}
		b = b[i+3:]
	}
	return append(escaped(dst, b), '"')
}

// Latin1 appends b as the Avro specification's JSON string for bytes:
// each byte one character, printable ASCII as itself (quote and backslash
// escaped), the rest \u00XX or its short escape.
func Latin1(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	for _, c := range b {
		if c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			dst = append(dst, c)
		} else if c < 0x20 || c == '"' || c == '\\' {
			dst = escapeByte(dst, c)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return append(dst, '"')
}
