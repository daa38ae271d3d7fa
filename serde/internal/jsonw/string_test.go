package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"
)

// StringJS writes what encoding/json writes (without HTML escaping),
// which also escapes U+2028 and U+2029; Latin1 writes one character a
// byte, read back by encoding/json as the same code points.
func TestStringJSAndLatin1(t *testing.T) {
	for _, s := range []string{"", "plain", "a\u2028b\u2029c", "\u2028", "x\u2029", "\"\\\n\t\x01<>&", "é€\u2027\u202a", "\xe2\x80"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got := StringJS(nil, []byte(s)); s != "\xe2\x80" && !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("%q: StringJS %s, encoding/json %s", s, got, want.Bytes())
		}
	}
	b := []byte{0, 0xff, 0x7f, '"', '\\', 'a', '\n'}
	var back string
	if err := json.Unmarshal(Latin1(nil, b), &back); err != nil || len([]rune(back)) != len(b) {
		t.Fatalf("%s reads back as %q (%v)", Latin1(nil, b), back, err)
	}
	for i, r := range []rune(back) {
		if r != rune(b[i]) {
			t.Errorf("byte %d: %#x read back as %U", i, b[i], r)
		}
	}
}
