package jsonw

import (
	"fmt"
	"math"
	"strconv"
)

// CanonicalNaN is the NaN Java writes (Double.NaN, 0x7ff8000000000000),
// and with it Confluent's serializers: Go's math.NaN() sets a payload bit,
// which would make the same record's bytes differ. Its float32 conversion
// is Java's Float.NaN, 0x7fc00000.
var CanonicalNaN = math.Float64frombits(0x7ff8000000000000)

// special appends the string form of NaN or an infinity, and reports
// whether f was one.
func special(dst []byte, f float64) ([]byte, bool) {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...), true
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...), true
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...), true
	}
	return dst, false
}

// Float appends f in its shortest form ('g'), the form Avro's JSON takes;
// bits is 32 or 64, the float's width.
func Float(dst []byte, f float64, bits int) []byte {
	if out, ok := special(dst, f); ok {
		return out
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// FloatES appends f as encoding/json and protojson write it: plain
// decimals, exponents only below 1e-6 and from 1e21, "e-7" not "e-07".
func FloatES(dst []byte, f float64, bits int) []byte {
	if out, ok := special(dst, f); ok {
		return out
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// ParseSpecial reads the string forms of NaN and the infinities (NaN is
// CanonicalNaN).
func ParseSpecial(s string) (float64, error) {
	switch s {
	case "NaN":
		return CanonicalNaN, nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return 0, fmt.Errorf("%q is not a number (the only strings taken are NaN, Infinity and -Infinity)", s)
}

// FloatGoavro is Float with NaN written as null and the infinities as
// 1e999 and -1e999, linkedin/goavro's convention.
func FloatGoavro(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "null"...)
	case math.IsInf(f, 1):
		return append(dst, "1e999"...)
	case math.IsInf(f, -1):
		return append(dst, "-1e999"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}
