package jsonschema

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferry-connect/ferry/serde"
	jsv "github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer words validation errors as the validator's own Error does.
var printer = message.NewPrinter(language.English)

// jsonSchema is a compiled JSON Schema and the name Confluent's record
// strategies give it (its title).
type jsonSchema struct {
	s     *jsv.Schema
	title string
}

// compileJSONSchema compiles text, whose $refs may name the schemas in
// refs (by the names a Confluent schema reference gives them) or, for a
// schema read from loc (a file), files beside it. Schemas without
// $schema are read as draft-07, as Confluent's serializers read them.
func compileJSONSchema(text, loc string, refs map[string]string) (*jsonSchema, error) {
	doc, err := jsv.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("the schema is not JSON: %w", err)
	}
	if loc == "" {
		loc = "mem:///schema.json"
	}
	base, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("schema location %q: %w", loc, err)
	}
	obj, _ := doc.(map[string]any)
	if id, ok := obj["$id"].(string); ok {
		if u, err := url.Parse(id); err == nil && u.IsAbs() {
			base = u
		}
	}
	c := jsv.NewCompiler()
	c.DefaultDraft(jsv.Draft7)
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	for name, text := range refs {
		ref, err := url.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("reference %q: %w", name, err)
		}
		rdoc, err := jsv.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			return nil, fmt.Errorf("reference %q is not JSON: %w", name, err)
		}
		if err := c.AddResource(base.ResolveReference(ref).String(), rdoc); err != nil {
			return nil, fmt.Errorf("reference %q: %w", name, err)
		}
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON Schema: %w", err)
	}
	js := &jsonSchema{s: s}
	js.title, _ = obj["title"].(string)
	return js, nil
}

// validate checks payload against the schema. The error names each
// failing location and why, on one line, for dead-letter headers.
func (js *jsonSchema) validate(payload []byte) error {
	v, err := jsv.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%w: not JSON: %v", serde.ErrInvalid, err)
	}
	if err := js.s.Validate(v); err != nil {
		var ve *jsv.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w: %s", serde.ErrInvalid, validationText(ve))
		}
		return fmt.Errorf("%w: %v", serde.ErrInvalid, err)
	}
	return nil
}

// validationText flattens a validation error's leaves into
// "at '/age': minimum: got -1, want 0; at ...".
func validationText(ve *jsv.ValidationError) string {
	var leaves []string
	var walk func(e *jsv.ValidationError)
	walk = func(e *jsv.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %q: %s", loc, e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(leaves) // the validator's order follows a map's
	return strings.Join(leaves, "; ")
}

// schemaLoc is where a local schema is read from, so relative $refs find
// the files beside a schema_file.
func schemaLoc(c serde.Config) string {
	if c.SchemaFile == "" {
		return ""
	}
	abs, err := filepath.Abs(c.SchemaFile)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}
