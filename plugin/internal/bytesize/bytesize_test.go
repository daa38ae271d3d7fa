package bytesize

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1048576, "1B": 1, "1b": 1,
		"1MiB": 1 << 20, "50mib": 50 << 20, "50MIB": 50 << 20, "1Mi": 1 << 20,
		"100MB": 100e6, "100mb": 100e6, "1M": 1e6, "1.5 GB": 1.5e9, " 2 KiB ": 2048,
		"1kB": 1000, "1KB": 1000, "1,000": 1000, "1GiB": 1 << 30, "1TB": 1e12,
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1 XB", "one MB", "1MiBs", "1e3"} {
		if _, err := Parse(in); !errors.Is(err, ErrSize) {
			t.Errorf("Parse(%q) = %v, want ErrSize", in, err)
		}
	}
}
