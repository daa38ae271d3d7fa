// Package confrules states a component's cross-field config rules once
// and enforces them in both places a config is checked: `connect lint`
// (the rules as the spec's Bloblang lint rule) and the component's
// constructor (the same Bloblang run over the parsed config). A config is
// then refused with the same words however it is loaded: by `connect
// run`, which lints first, by a stream builder or a custom build, which do
// not.
//
// Rules that concern one field alone (a number's range, a duration's
// minimum, a byte count's syntax) are the parser's: they need the parsed
// value, and the parser names the field.
package confrules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// Rule is one cross-field rule.
type Rule struct {
	// When is a Bloblang condition over the config (`this`), true when
	// the config breaks the rule. Fields may be absent (lint sees the
	// config as written), so read them with `.or(<default>)`, giving
	// the spec's default.
	When string
	// Message is a Bloblang string expression saying what is wrong and
	// naming the fields, e.g. `"fields key and key_field are mutually
	// exclusive"`.
	Message string
}

// Set is the rules of one component, or of one object field.
type Set struct {
	// Lets are Bloblang `let` statements the rules may use.
	Lets  []string
	Rules []Rule
}

// Join returns a set with the rules of s and of others.
func (s Set) Join(others ...Set) Set {
	out := Set{Lets: append([]string(nil), s.Lets...), Rules: append([]Rule(nil), s.Rules...)}
	for _, o := range others {
		out.Lets = append(out.Lets, o.Lets...)
		out.Rules = append(out.Rules, o.Rules...)
	}
	return out
}

// Lint is the set as a Benthos lint rule: a mapping from the config to
// the list of what is wrong with it.
func (s Set) Lint() string {
	var b strings.Builder
	for _, l := range s.Lets {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("root = [\n")
	for _, r := range s.Rules {
		fmt.Fprintf(&b, "  if %s { %s } else { null },\n", r.When, r.Message)
	}
	b.WriteString("].filter(e -> e != null)\n")
	return b.String()
}

// Check runs the rules over a parsed config (a component's, or the
// namespace of an object field the set belongs to) and returns what is
// wrong with it, or nil.
func (s Set) Check(conf *service.ParsedConfig) error {
	if len(s.Rules) == 0 {
		return nil
	}
	exe, err := bloblang.Parse(s.Lint())
	if err != nil {
		return fmt.Errorf("config rules: %w", err) // a bug: lint would fail the same way
	}
	v, err := conf.FieldAny()
	if err != nil {
		return fmt.Errorf("config rules: %w", err)
	}
	res, err := exe.Query(v)
	if err != nil {
		return fmt.Errorf("config rules: %w", err)
	}
	list, _ := res.([]any)
	if len(list) == 0 {
		return nil
	}
	msgs := make([]string, len(list))
	for i, m := range list {
		msgs[i] = fmt.Sprint(m)
	}
	return errors.New(strings.Join(msgs, "; "))
}
