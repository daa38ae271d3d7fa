package serde_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferry-connect/ferry/serde"
)

func TestBuiltinCodecs(t *testing.T) {
	ctx := context.Background()
	tgt := serde.Target{Topic: "t"}
	for _, tc := range []struct {
		typ     string
		in      string
		wantErr error
	}{
		{"bytes", "\xff\x00anything", nil},
		{"string", "héllo", nil},
		{"string", "\xff\xfe", serde.ErrInvalidUTF8},
		{"json", `{"a":[1,2,{"b":null}]}`, nil},
		{"json", `"just a string"`, nil},
		{"json", `{"a":`, serde.ErrInvalidJSON},
		{"json", `{} {}`, serde.ErrInvalidJSON},
	} {
		c, err := serde.New(serde.Config{Type: tc.typ})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.Serialize(ctx, tgt, []byte(tc.in))
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s.Serialize(%q) error %v, want %v", tc.typ, tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && !bytes.Equal(out, []byte(tc.in)) {
			t.Errorf("%s.Serialize(%q) = %q, want the input unchanged", tc.typ, tc.in, out)
		}
		back, err := c.Deserialize(ctx, tgt, []byte(tc.in))
		if !errors.Is(err, tc.wantErr) || (err == nil && !bytes.Equal(back, []byte(tc.in))) {
			t.Errorf("%s.Deserialize(%q) = %q, %v", tc.typ, tc.in, back, err)
		}
	}
}

func TestTakesJSON(t *testing.T) {
	for typ, want := range map[string]bool{"bytes": false, "string": false, "json": true} {
		c, _ := serde.New(serde.Config{Type: typ})
		if serde.TakesJSON(c) != want {
			t.Errorf("TakesJSON(%s) = %v", typ, !want)
		}
	}
}

// upper is the kind of codec a Go user adds: it reads its own options.
type upper struct{ suffix string }

func (u upper) Serialize(_ context.Context, _ serde.Target, p []byte) ([]byte, error) {
	return append(bytes.ToUpper(p), u.suffix...), nil
}

func (u upper) Deserialize(_ context.Context, _ serde.Target, d []byte) ([]byte, error) {
	return bytes.ToLower(bytes.TrimSuffix(d, []byte(u.suffix))), nil
}

var registered atomic.Int64

func TestRegister(t *testing.T) {
	name := fmt.Sprintf("test_upper_%d", registered.Add(1)) // unique under -count
	err := serde.Register(name, func(c serde.Config) (serde.Codec, error) {
		s, _ := c.Options["suffix"].(string)
		return upper{suffix: s}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := serde.New(serde.Config{Type: name, Options: map[string]any{"suffix": "!"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.Serialize(context.Background(), serde.Target{}, []byte("hi"))
	if string(out) != "HI!" {
		t.Errorf("got %q", out)
	}
	if err := serde.Register("json", nil); err == nil {
		t.Error("a nil factory was accepted")
	}
	if err := serde.Register("json", func(serde.Config) (serde.Codec, error) { return nil, nil }); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("replacing a built-in: %v", err)
	}
	if _, err := serde.New(serde.Config{Type: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown serializer type "nope"`) || !strings.Contains(err.Error(), "json") {
		t.Errorf("unknown type error: %v", err)
	}
}

// A program that uses serde alone and names a schema language it did not
// import is told which import links it.
func TestNewNamesTheMissingImport(t *testing.T) {
	_, err := serde.New(serde.Config{Type: "avro_confluent"})
	if err == nil || !strings.Contains(err.Error(), `import _ "github.com/ferry-connect/ferry/serde/avro"`) {
		t.Fatalf("got %v", err)
	}
}
