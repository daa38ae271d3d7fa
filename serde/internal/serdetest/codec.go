package serdetest

import (
	"testing"

	"github.com/ferry-connect/ferry/serde"
)

// MustCodec builds the codec c names, failing the test if it cannot.
func MustCodec(t testing.TB, c serde.Config) serde.Codec {
	t.Helper()
	codec, err := serde.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return codec
}
