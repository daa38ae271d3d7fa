//lint:file-ignore SA1019 this file is written as custom builds wrote it before the split, deprecated names included

package all_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"

	_ "github.com/ferry-connect/ferry/plugin/all"
)

// The code below is written as a custom build wrote it before serde was
// split by format: it imports serde and Ferry's components, and nothing of
// the format packages. It must keep compiling and working, because custom
// builds are not rewritten when Ferry moves code.

type upperCodec struct{}

func (upperCodec) Serialize(_ context.Context, _ serde.Target, p []byte) ([]byte, error) {
	return []byte(strings.ToUpper(string(p))), nil
}

func (upperCodec) Deserialize(_ context.Context, _ serde.Target, d []byte) ([]byte, error) {
	return []byte(strings.ToLower(string(d))), nil
}

func TestCustomBuildCompilesUnchanged(t *testing.T) {
	if err := serde.Register("custom_build_upper", func(serde.Config) (serde.Codec, error) { return upperCodec{}, nil }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	own, err := serde.New(serde.Config{Type: "custom_build_upper"})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := own.Serialize(ctx, serde.Target{Topic: "t"}, []byte("abc")); string(out) != "ABC" {
		t.Fatalf("own codec wrote %q", out)
	}

	// Every built-in type is there through the components' import.
	cases := []struct {
		cfg serde.Config
		in  string
	}{
		{serde.Config{Type: "avro", Schema: `{"type":"record","name":"R","fields":[{"name":"a","type":["null","long"]}]}`, JSON: serde.JSONOptions{TaggedUnions: true}}, `{"a":{"long":5}}`},
		{serde.Config{Type: "protobuf", Schema: `syntax = "proto3"; message M { string a = 1; }`}, `{"a":"x"}`},
		{serde.Config{Type: "json_schema", Schema: `{"type":"object"}`}, `{"a":1}`},
	}
	for _, tc := range cases {
		c, err := serde.New(tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg.Type, err)
		}
		if !serde.TakesJSON(c) {
			t.Fatalf("%s: TakesJSON is false", tc.cfg.Type)
		}
		b, err := c.Serialize(ctx, serde.Target{Topic: "t"}, []byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg.Type, err)
		}
		back, err := c.Deserialize(ctx, serde.Target{Topic: "t"}, b)
		if err != nil || string(back) != tc.in {
			t.Fatalf("%s: %s came back as %s (%v)", tc.cfg.Type, tc.in, back, err)
		}
	}

	// The names that moved to serde/confluent still answer here.
	framed := serde.AppendConfluentHeader(nil, 7)
	if id, body, err := serde.ParseConfluentHeader(append(framed, 'x')); err != nil || id != 7 || string(body) != "x" {
		t.Fatalf("ParseConfluentHeader: %d %q %v", id, body, err)
	}
	if _, _, err := serde.ParseConfluentHeader([]byte{9, 0, 0, 0, 1}); !errors.Is(err, serde.ErrWireFormat) {
		t.Fatalf("a bad magic byte is %v, want ErrWireFormat", err)
	}
	_ = serde.RegistryConfig{URLs: []string{"http://127.0.0.1:1"}}
	if serde.StrategyTopicName != "topic_name" || serde.StrategyRecordName != "record_name" || serde.StrategyTopicRecordName != "topic_record_name" {
		t.Fatal("strategy names changed")
	}
}
