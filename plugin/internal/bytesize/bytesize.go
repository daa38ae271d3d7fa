// Package bytesize reads the byte-size fields of Ferry's components as
// Redpanda Connect writes them: a plain integer (1048576), or a number
// with a unit in any case (1MiB, 50mib, 100MB, 1.5 GB, 1B). Decimal units
// (kB, MB, GB, ...) are powers of 1000, binary ones (KiB, MiB, GiB, ...)
// of 1024, as in go-humanize, which Redpanda Connect parses them with; a
// bare K, M or G is decimal there too.
package bytesize

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
)

// ErrSize is wrapped by every parse failure.
var ErrSize = errors.New("want a byte count such as 1048576, 1MB or 1MiB")

var units = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pi": 1 << 50, "pib": 1 << 50,
}

// Parse reads a size: a non-negative number (commas between digits
// allowed, a fraction allowed with a unit) and an optional unit.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == ',') {
		i++
	}
	num := strings.ReplaceAll(t[:i], ",", "")
	mult, ok := units[strings.ToLower(strings.TrimSpace(t[i:]))]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q: %w", s, ErrSize)
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, ErrSize)
	}
	v := n * mult
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large: %w", s, ErrSize)
	}
	return int64(v), nil
}

// Field reads the size field name of conf, written as an integer or as a
// string, and checks it lies in [lo, hi]. Errors name the field.
func Field(conf *service.ParsedConfig, name string, lo, hi int64) (int64, error) {
	raw, err := conf.FieldAny(name)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", name, err)
	}
	var n int64
	switch v := raw.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case float64:
		if v != math.Trunc(v) {
			return 0, fmt.Errorf("field %s: %v is not a whole number of bytes", name, v)
		}
		n = int64(v)
	case string:
		if n, err = Parse(v); err != nil {
			return 0, fmt.Errorf("field %s: %w", name, err)
		}
	default:
		return 0, fmt.Errorf("field %s: %v (%T): %w", name, raw, raw, ErrSize)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("field %s: %d bytes is outside the range %d to %d", name, n, lo, hi)
	}
	return n, nil
}

// Rule refuses, at `connect lint`, a size the parser would refuse: field
// is a path below `this` (e.g. "fetch_max_bytes", "dlq.max_message_bytes").
// Numbers pass; strings must be a number and an optional unit.
func Rule(field string) confrules.Rule {
	path := "this." + field
	return confrules.Rule{
		When:    fmt.Sprintf(`%s.type() == "string" && !%s.re_match("^\\s*[0-9][0-9.,]*\\s*([kmgtpKMGTP][iI]?)?[bB]?\\s*$")`, path, path),
		Message: fmt.Sprintf(`"field %s: %%q is not a byte size (want e.g. 1048576, 1MB or 1MiB)".format(%s)`, field, path),
	}
}
