package serde_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ferry-connect/ferry/serde"
)

// reverse is a toy codec: a Go user's own serializer, for example a
// Protobuf codec, is written the same way.
type reverse struct{ prefix []byte }

func (r reverse) Serialize(_ context.Context, _ serde.Target, p []byte) ([]byte, error) {
	out := append([]byte{}, r.prefix...)
	for i := len(p) - 1; i >= 0; i-- {
		out = append(out, p[i])
	}
	return out, nil
}

func (r reverse) Deserialize(_ context.Context, _ serde.Target, d []byte) ([]byte, error) {
	if !bytes.HasPrefix(d, r.prefix) {
		return nil, fmt.Errorf("missing prefix %q", r.prefix)
	}
	d = d[len(r.prefix):]
	out := make([]byte, len(d))
	for i := range d {
		out[len(d)-1-i] = d[i]
	}
	return out, nil
}

// Register the codec once, when the program starts; YAML then selects it
// with `type: reverse` and passes its settings under `options:`.
func init() {
	serde.MustRegister("reverse", func(c serde.Config) (serde.Codec, error) {
		prefix, _ := c.Options["prefix"].(string)
		return reverse{prefix: []byte(prefix)}, nil
	})
}

func ExampleRegister() {
	// What kafka_sink does with `value_serializer: {type: reverse, options: {prefix: "v1:"}}`:
	codec, err := serde.New(serde.Config{Type: "reverse", Options: map[string]any{"prefix": "v1:"}})
	if err != nil {
		panic(err)
	}
	out, _ := codec.Serialize(context.Background(), serde.Target{Topic: "t"}, []byte("hello"))
	back, _ := codec.Deserialize(context.Background(), serde.Target{Topic: "t"}, out)
	fmt.Printf("%s %s\n", out, back)
	// Output: v1:olleh hello
}
