package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// reference finds the value at path the slow way: encoding/json decodes
// the document (with UseNumber, as Benthos does) and the path is walked.
func reference(doc []byte, path []string) (Kind, []byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Missing, nil, err
	}
	if _, err := dec.Token(); err == nil {
		return Missing, nil, errors.New("trailing data")
	}
	for _, seg := range path {
		switch t := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = t[seg]; !ok {
				return Missing, nil, nil
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return Missing, nil, nil
			}
			v = t[i]
		default:
			return Missing, nil, nil
		}
	}
	switch t := v.(type) {
	case nil:
		return Null, nil, nil
	case string:
		return String, []byte(t), nil
	case json.Number:
		return Number, []byte(t), nil
	case bool:
		return Bool, []byte(strconv.FormatBool(t)), nil
	}
	b, _ := json.Marshal(v)
	return Composite, b, nil
}

func TestJSONField(t *testing.T) {
	doc := []byte(` {"id": 7, "customer": {"id": "c-1", "tier": null, "vip": true},
		"items": [{"sku": "a\u00e9\"b"}, {"sku": "z", "qty": -1.5e3}], "dup": 1, "dup": "last"} `)
	for _, tc := range []struct {
		path string
		kind Kind
		text string
	}{
		{"id", Number, "7"},
		{"customer.id", String, "c-1"},
		{"customer.tier", Null, ""},
		{"customer.vip", Bool, "true"},
		{"customer.missing", Missing, ""},
		{"items.0.sku", String, "aé\"b"},
		{"items.1.qty", Number, "-1.5e3"},
		{"items.2.sku", Missing, ""},
		{"items.x", Missing, ""},
		{"id.deeper", Missing, ""},
		{"dup", String, "last"},
		{"customer", Composite, `{"id": "c-1", "tier": null, "vip": true}`},
	} {
		kind, text, err := Field(doc, strings.Split(tc.path, "."))
		if err != nil || kind != tc.kind || string(text) != tc.text {
			t.Errorf("%s: got %v %q %v, want %v %q", tc.path, kind, text, err, tc.kind, tc.text)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1}x`, `{"a":01}`, `{"a":1-2}`, `{"a":.5}`, `{"a":1.}`, `{"a":[1,]}`, `{"a" 1}`, `{'a':1}`} {
		if _, _, err := Field([]byte(bad), []string{"a"}); !errors.Is(err, ErrNotJSON) {
			t.Errorf("%q: err = %v, want ErrNotJSON", bad, err)
		}
	}
}

// A document nested past encoding/json's limit fails; it never exhausts
// the stack.
func TestJSONFieldDeepNesting(t *testing.T) {
	doc := append(bytes.Repeat([]byte("["), 5_000_000), bytes.Repeat([]byte("]"), 5_000_000)...)
	if _, _, err := Field(doc, []string{"0"}); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("err = %v", err)
	}
}

func TestJSONFieldAllocations(t *testing.T) {
	doc := []byte(`{"order_id":1000001,"customer_id":"cust-07919","sku":"SKU-04729","qty":2,"price_cents":131,"ts":1763800000001}`)
	path := []string{"customer_id"}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = Field(doc, path) }); n != 0 {
		t.Errorf("%v allocations per lookup, want 0", n)
	}
}

// FuzzJSONField checks the Scanner against encoding/json: wherever
// encoding/json reads the document, Field finds the same value, and it
// never accepts a document encoding/json rejects.
func FuzzJSONField(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[1,"x",null]}}`, `{"a":"\u0041\n","a":2}`, `[{"a":true}]`, `{"a":-0.5E+2}`, `"a"`, `{"a":1}}`} {
		f.Add([]byte(s), "a.b.1")
	}
	f.Fuzz(func(t *testing.T, doc []byte, p string) {
		path := strings.Split(p, ".")
		kind, text, err := Field(doc, path)
		rkind, rtext, rerr := reference(doc, path)
		if rerr != nil {
			if err == nil {
				t.Fatalf("accepted %q, which encoding/json rejects: %v", doc, rerr)
			}
			return
		}
		if err != nil {
			// Looser than the Scanner only in what it tolerates
			// (invalid UTF-8); callers fall back to encoding/json.
			return
		}
		if kind != rkind {
			t.Fatalf("%q at %q: kind %v, encoding/json %v", doc, p, kind, rkind)
		}
		switch kind {
		case Composite:
			var a, b any
			if json.Unmarshal(text, &a) != nil || json.Unmarshal(rtext, &b) != nil {
				t.Fatalf("%q at %q: composite %q", doc, p, text)
			}
		default:
			if !bytes.Equal(text, rtext) {
				t.Fatalf("%q at %q: %q, encoding/json %q", doc, p, text, rtext)
			}
		}
	})
}

func BenchmarkJSONField(b *testing.B) {
	doc := []byte(`{"order_id":1000001,"customer_id":"cust-07919","sku":"SKU-04729","qty":2,"price_cents":131,"ts":1763800000001}`)
	path := []string{"customer_id"}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		_, _, _ = Field(doc, path)
	}
}
