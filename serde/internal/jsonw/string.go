package jsonw

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string.
func String(dst []byte, s string) []byte {
	return Bytes(dst, []byte(s))
}

// Bytes appends b as a JSON string: quotes, backslashes and control
// characters escaped (\b \f \n \r \t, else \u00XX, as encoding/json and
// protojson write them), UTF-8 kept as it is.
func Bytes(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, b[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, b[start:]...)
	return append(dst, '"')
}

// StringJS is Bytes, with U+2028 and U+2029 escaped as well, as
// JavaScript-safe encoders (goavro's) write them.
func StringJS(dst []byte, b []byte) []byte {
	start := len(dst)
	dst = Bytes(dst, b)
	if !hasLineSeparator(dst[start:]) {
		return dst
	}
	out := append([]byte(nil), dst[start:]...)
	dst = dst[:start]
	for i := 0; i < len(out); i++ {
		if i+2 < len(out) && out[i] == 0xe2 && out[i+1] == 0x80 && (out[i+2] == 0xa8 || out[i+2] == 0xa9) {
			dst = append(dst, '\\', 'u', '2', '0', '2', "89"[out[i+2]-0xa8])
			i += 2
			continue
		}
		dst = append(dst, out[i])
	}
	return dst
}

func hasLineSeparator(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0xe2 && b[i+1] == 0x80 && (b[i+2] == 0xa8 || b[i+2] == 0xa9) {
			return true
		}
	}
	return false
}

// Latin1 appends b as the Avro specification's JSON string for bytes:
// each byte one character, printable ASCII as itself (quote and backslash
// escaped), the rest \u00XX or its short escape.
func Latin1(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c >= 0x20 && c <= 0x7e:
			dst = append(dst, c)
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return append(dst, '"')
}
