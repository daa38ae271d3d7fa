package confluent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
)

// wireSchema is a schema as the registry answers it. It is read here
// rather than through sr.Schema because sr's rule set has no encoding
// rules (Confluent Platform 8's payload encryption): a schema whose rules
// would be dropped in decoding could not be refused.
type wireSchema struct {
	Subject    string               `json:"subject"`
	Version    int                  `json:"version"`
	ID         int                  `json:"id"`
	GUID       string               `json:"guid"`
	Schema     string               `json:"schema"`
	Type       sr.SchemaType        `json:"schemaType"`
	References []sr.SchemaReference `json:"references"`
	RuleSet    *wireRuleSet         `json:"ruleSet"`
}

type wireRuleSet struct {
	Migration []wireRule `json:"migrationRules"`
	Domain    []wireRule `json:"domainRules"`
	Encoding  []wireRule `json:"encodingRules"`
}

type wireRule struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Mode     string `json:"mode"`
	Type     string `json:"type"`
	Disabled bool   `json:"disabled"`
}

// ErrRuleSet is returned for a schema that carries a rule Ferry does not
// execute (a data-quality condition, a transform, field or payload
// encryption), unless the codec was told to ignore rules: using the schema
// without them would write plaintext where Confluent's serializer
// encrypts, or read ciphertext back as data.
var ErrRuleSet = errors.New("the schema has a rule set that Ferry does not execute")

// checkRules refuses a schema with any enabled rule.
func (w *wireSchema) checkRules() error {
	if w.RuleSet == nil {
		return nil
	}
	for _, g := range []struct {
		set   string
		rules []wireRule
	}{{"domainRules", w.RuleSet.Domain}, {"migrationRules", w.RuleSet.Migration}, {"encodingRules", w.RuleSet.Encoding}} {
		for _, r := range g.rules {
			if r.Disabled {
				continue
			}
			return fmt.Errorf("%w: %s rule %q (kind %s, type %s, mode %s); set schema_registry.ignore_rules to use the schema without its rules (no conditions checked, nothing encrypted or decrypted)",
				ErrRuleSet, g.set, r.Name, orNone(r.Kind), orNone(r.Type), orNone(r.Mode))
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

func (w *wireSchema) schema() sr.Schema {
	return sr.Schema{Schema: w.Schema, Type: w.Type, References: w.References}
}

// fetch gets the schema ref names. subject, when set, scopes an ID lookup
// as Confluent's deserializers do (`?subject=`), which a registry with
// schema contexts needs to find the ID's context.
func (r *Registry[T]) fetch(ctx context.Context, ref SchemaRef, subject string) (*wireSchema, error) {
	var w wireSchema
	var path string
	if ref.GUID != "" {
		path = "/schemas/guids/" + url.PathEscape(ref.GUID)
	} else {
		path = "/schemas/ids/" + strconv.Itoa(ref.ID)
		if subject != "" {
			ctx = sr.WithParams(ctx, sr.Subject(subject))
		}
	}
	if err := r.cl.Do(ctx, http.MethodGet, path, nil, &w); err != nil {
		var re *sr.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnknownSchema, ref, err)
		}
		return nil, fmt.Errorf("fetching %s: %w", ref, Unavailable(err))
	}
	if ref.GUID != "" {
		w.GUID = strings.ToLower(ref.GUID)
	} else {
		w.ID = ref.ID
	}
	return &w, nil
}

// fetchLatest gets the subject's latest version.
func (r *Registry[T]) fetchLatest(ctx context.Context, subject string) (*wireSchema, error) {
	var w wireSchema
	path := "/subjects/" + url.PathEscape(subject) + "/versions/latest"
	if err := r.cl.Do(ctx, http.MethodGet, path, nil, &w); err != nil {
		return nil, fmt.Errorf("fetching the latest schema of subject %q: %w", subject, Unavailable(err))
	}
	return &w, nil
}
