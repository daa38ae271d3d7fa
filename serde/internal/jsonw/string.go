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
