package serdefield

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/serde"
)

// RegistryField is the shared `schema_registry` block. Its `url` takes
// the forms Redpanda Connect's schema_registry_* components take: a
// string, a comma-separated string, or a list of either.
func RegistryField() *service.ConfigField {
	return service.NewObjectField(FieldRegistry,
		service.NewAnyField("url").
			Description("The schema registry's URL: a string, a comma-separated string, or a list of them (several URLs are tried in turn).").
			Default([]any{}).
			Example("http://localhost:8081").
			Example([]string{"http://registry-1:8081", "http://registry-2:8081"}),
		service.NewObjectField("basic_auth",
			service.NewBoolField("enabled").
				Description("Send HTTP basic authentication. By default it is sent when `username` is set.").
				Optional(),
			service.NewStringField("username").Default(""),
			service.NewStringField("password").Default("").Secret(),
		).Description("HTTP basic authentication.").Advanced(),
		service.NewStringField("token").
			Description("A bearer token sent with every request.").
			Default("").
			Secret().
			Advanced(),
		service.NewTLSToggledField("tls"),
		service.NewDurationField("timeout").
			Description("How long one registry request may take.").
			Default("10s").
			Advanced(),
		service.NewBoolField("ignore_rules").
			Description("Use schemas that carry a rule set (Confluent Data Contracts: data-quality conditions, transforms, field-level or payload encryption, migrations) as if they had none. Ferry executes no rules, so by default a record whose schema has an enabled rule fails, naming the rule. What ignoring them costs: no condition is checked, fields Confluent's serializer would encrypt are written in plaintext, and encrypted fields are read back as ciphertext.").
			Default(false).
			Advanced(),
	).
		Description("The Confluent-compatible schema registry, for the `_confluent` types.").
		LintRule(confrules.Set{Rules: []confrules.Rule{
			{When: `!["string", "array", "null"].contains(this.url.type())`, Message: `"url: want a string or a list of strings, got %s".format(this.url.type())`},
			{When: `this.url.type() == "array" && this.url.any(u -> u.type() != "string")`, Message: `"url: every item of the list must be a string"`},
			{When: `this.basic_auth.enabled.or(false) && this.basic_auth.username.or("") == ""`, Message: `"basic_auth.enabled needs basic_auth.username"`},
		}}.Lint())
}

// registryURLs reads `url` in any of its forms.
func registryURLs(v any) ([]string, error) {
	var items []string
	switch t := v.(type) {
	case nil:
	case string:
		items = []string{t}
	case []any:
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("item %d is %T, not a string", i, e)
			}
			items = append(items, s)
		}
	default:
		return nil, fmt.Errorf("want a string or a list of strings, got %T", v)
	}
	var urls []string
	for _, item := range items {
		for _, part := range strings.Split(item, ",") {
			if part = strings.TrimSpace(part); part != "" {
				urls = append(urls, part)
			}
		}
	}
	return urls, nil
}

func parseRegistry(conf *service.ParsedConfig) (serde.RegistryConfig, error) {
	var r serde.RegistryConfig
	v, err := conf.FieldAny("url")
	if err != nil {
		return r, fmt.Errorf("url: %w", err)
	}
	if r.URLs, err = registryURLs(v); err != nil {
		return r, fmt.Errorf("url: %w", err)
	}
	if r.Username, err = conf.FieldString("basic_auth", "username"); err != nil {
		return r, fmt.Errorf("basic_auth.username: %w", err)
	}
	if r.Password, err = conf.FieldString("basic_auth", "password"); err != nil {
		return r, fmt.Errorf("basic_auth.password: %w", err)
	}
	if conf.Contains("basic_auth", "enabled") {
		on, err := conf.FieldBool("basic_auth", "enabled")
		if err != nil {
			return r, fmt.Errorf("basic_auth.enabled: %w", err)
		}
		switch {
		case on && r.Username == "":
			return r, errors.New("basic_auth.enabled needs basic_auth.username")
		case !on:
			r.Username, r.Password = "", ""
		}
	}
	if r.Token, err = conf.FieldString("token"); err != nil {
		return r, fmt.Errorf("token: %w", err)
	}
	tlsConf, on, err := conf.FieldTLSToggled("tls")
	if err != nil {
		return r, fmt.Errorf("tls: %w", err)
	}
	if on {
		r.TLS = tlsConf
	}
	if r.Timeout, err = conf.FieldDuration("timeout"); err != nil {
		return r, fmt.Errorf("timeout: %w", err)
	}
	if r.IgnoreRules, err = conf.FieldBool("ignore_rules"); err != nil {
		return r, fmt.Errorf("ignore_rules: %w", err)
	}
	return r, nil
}
