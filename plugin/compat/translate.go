package compat

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"gopkg.in/yaml.v3"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
)

// reparse parses conf, a config written for Ferry's component, with spec:
// how a component whose fields are shaped otherwise (Sarama's kafka) hands
// its config, translated, to Ferry's constructor. Errors then name Ferry's
// field, so translate keeps the user's values where Ferry would name them.
func reparse(spec *service.ConfigSpec, conf map[string]any) (*service.ParsedConfig, error) {
	b, err := yaml.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("translating the config: %w", err)
	}
	return spec.ParseYAML(string(b), nil)
}

// saramaSASL is Sarama's sasl object as Ferry's sasl list.
func saramaSASL(conf map[string]any) []any {
	s, _ := conf["sasl"].(map[string]any)
	if s == nil {
		return nil
	}
	mech, _ := s["mechanism"].(string)
	if mech == "" || mech == "none" {
		return nil
	}
	return []any{map[string]any{
		"mechanism": mech,
		"username":  s["user"],
		"password":  s["password"],
		"token":     s["access_token"],
	}}
}

// saramaSASLField is Sarama's sasl object.
func saramaSASLField() *service.ConfigField {
	return service.NewObjectField("sasl",
		service.NewStringAnnotatedEnumField("mechanism", map[string]string{
			"none":          "No SASL authentication (the default).",
			"PLAIN":         "Plain text authentication; use it over TLS.",
			"OAUTHBEARER":   "A bearer token, given in `access_token`.",
			"SCRAM-SHA-256": "SCRAM with SHA-256.",
			"SCRAM-SHA-512": "SCRAM with SHA-512.",
		}).Description("The SASL mechanism.").Default("none"),
		service.NewStringField("user").Description("The user, for PLAIN and SCRAM.").Default(""),
		service.NewStringField("password").Description("The password, for PLAIN and SCRAM.").Default("").Secret(),
		service.NewStringField("access_token").Description("The token, for OAUTHBEARER.").Default(""),
		service.NewStringField("token_cache").Description("Not supported: a cache resource holding the token.").Default(""),
		service.NewStringField("token_key").Description("Not supported: the token's key in `token_cache`.").Default(""),
	).Description("SASL authentication, in Sarama's shape.").Optional().Advanced()
}

// saramaSASLRule refuses the token cache, which Ferry does not read.
var saramaSASLRule = confrules.Rule{
	When:    `this.sasl.token_cache.or("") != ""`,
	Message: `"field sasl.token_cache: a token from a cache resource is not supported; give sasl.access_token"`,
}
