package avro

import (
	"fmt"
	"math"
	"math/big"
	"time"
)

// readTimeString reads the string forms of the time logical types:
// RFC 3339 timestamps, YYYY-MM-DD dates and HH:MM:SS[.ffffff] times.
// Numbers given for these types are taken as already in the schema's unit.
func readTimeString(s string, n *node) (int64, error) {
	switch n.logical {
	case lTimestampMillis, lTimestampMicros, lLocalTimestampMillis, lLocalTimestampMicros:
		ts, err := parseTimestamp(s, n.logical == lLocalTimestampMillis || n.logical == lLocalTimestampMicros)
		if err != nil {
			return 0, err
		}
		if n.logical == lTimestampMillis || n.logical == lLocalTimestampMillis {
			return ts.UnixMilli(), nil
		}
		return ts.UnixMicro(), nil
	case lDate:
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			// A timestamp's date as written, in its own offset (as
			// twmb/avro takes it).
			ts, terr := time.Parse(time.RFC3339Nano, s)
			if terr != nil {
				return 0, fmt.Errorf("%q is not a date (want YYYY-MM-DD, or an RFC 3339 timestamp for the date it is written in)", s)
			}
			d = time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC)
		}
		return int64(math.Floor(float64(d.Unix()) / 86400)), nil
	case lTimeMillis, lTimeMicros:
		d, err := time.Parse("15:04:05.999999", s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a time of day (want HH:MM:SS[.ffffff])", s)
		}
		micros := int64(d.Hour())*3_600_000_000 + int64(d.Minute())*60_000_000 + int64(d.Second())*1_000_000 + int64(d.Nanosecond()/1000)
		if n.logical == lTimeMillis {
			return micros / 1000, nil
		}
		return micros, nil
	}
	return 0, fmt.Errorf("expected %s, got a string", n.kind)
}

func parseTimestamp(s string, local bool) (time.Time, error) {
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return ts, nil
	}
	if local {
		if ts, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
			return ts, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z)", s)
}

// encodeDecimal turns "123.45" into the two's-complement big-endian
// unscaled integer the decimal logical type stores, checking that it has
// no more fractional digits than the scale and fits the precision.
func encodeDecimal(text string, n *node) ([]byte, error) {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", text)
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.scale)), nil)))
	if !scaled.IsInt() {
		return nil, fmt.Errorf("%s has more than %d fractional digits (the decimal's scale)", text, n.scale)
	}
	unscaled := scaled.Num()
	if n.prec > 0 && len(new(big.Int).Abs(unscaled).String()) > n.prec {
		return nil, fmt.Errorf("%s has more than %d digits (the decimal's precision)", text, n.prec)
	}
	b := twosComplement(unscaled)
	if n.kind == kFixed {
		if len(b) > n.size {
			return nil, fmt.Errorf("%s does not fit fixed %s of %d bytes", text, n.name, n.size)
		}
		pad := byte(0)
		if unscaled.Sign() < 0 {
			pad = 0xff
		}
		out := make([]byte, n.size)
		for i := 0; i < n.size-len(b); i++ {
			out[i] = pad
		}
		copy(out[n.size-len(b):], b)
		return out, nil
	}
	return b, nil
}

func twosComplement(v *big.Int) []byte {
	if v.Sign() >= 0 {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -v = ^(v-1): take the magnitude minus one, invert every byte.
	m := new(big.Int).Sub(new(big.Int).Neg(v), big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}
