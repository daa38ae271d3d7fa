// Package serdetest holds what the format packages' tests share.
package serdetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/ferry-connect/ferry/serde"
)

// RoundTrip fuzzes a codec's decoder: arbitrary bytes never panic, and whatever
// decodes encodes again to bytes that decode to the same JSON.
func RoundTrip(f *testing.F, c serde.Codec, seeds ...[]byte) {
	ctx := context.Background()
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := c.Deserialize(ctx, serde.Target{Topic: "t"}, data)
		if err != nil {
			return
		}
		again, err := c.Serialize(ctx, serde.Target{Topic: "t"}, js)
		if err != nil {
			t.Fatalf("decoded %x to %s, which does not encode: %v", data, js, err)
		}
		js2, err := c.Deserialize(ctx, serde.Target{Topic: "t"}, again)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("%s re-encoded to %x, which decodes to %s (%v)", js, again, js2, err)
		}
	})
}
