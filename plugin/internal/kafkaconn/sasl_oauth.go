package kafkaconn

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"golang.org/x/oauth2/clientcredentials"
)

// oidcField is the oidc block of a SASL entry: OAUTHBEARER with a token
// fetched from an OIDC token endpoint (the client credentials grant), what
// Confluent Cloud, Azure Event Hubs and Kafka's own
// OAuthBearerLoginCallbackHandler expect.
func oidcField() *service.ConfigField {
	return service.NewObjectField("oidc",
		service.NewStringField("token_url").Description("The token endpoint, e.g. `https://login.example.com/oauth2/token`."),
		service.NewStringField("client_id").Description("The client ID."),
		service.NewStringField("client_secret").Description("The client secret.").Secret(),
		service.NewStringListField("scopes").Description("Scopes to ask for.").Default([]any{}),
		service.NewStringMapField("params").Description("More form parameters for the token request (e.g. `audience`).").Optional(),
	).Description("For `OAUTHBEARER`, instead of a static `token`: fetch the token from an OIDC token endpoint with the client credentials grant. The token is kept until shortly before it expires and fetched again then, so a broker that re-authenticates connections (KIP-368) gets a fresh one; `extensions` go with every token.").Optional()
}

// oidcMechanism is OAUTHBEARER with tokens from e's oidc block.
func oidcMechanism(e *service.ParsedConfig, ext map[string]string) (sasl.Mechanism, error) {
	o := e.Namespace("oidc")
	var c clientcredentials.Config
	for _, f := range []struct {
		name string
		dst  *string
	}{{"token_url", &c.TokenURL}, {"client_id", &c.ClientID}, {"client_secret", &c.ClientSecret}} {
		s, err := o.FieldString(f.name)
		if err != nil {
			return nil, fmt.Errorf("oidc.%s: %w", f.name, err)
		}
		*f.dst = s
	}
	var err error
	if c.Scopes, err = o.FieldStringList("scopes"); err != nil {
		return nil, fmt.Errorf("oidc.scopes: %w", err)
	}
	if o.Contains("params") {
		params, err := o.FieldStringMap("params")
		if err != nil {
			return nil, fmt.Errorf("oidc.params: %w", err)
		}
		c.EndpointParams = map[string][]string{}
		for k, v := range params {
			c.EndpointParams[k] = []string{v}
		}
	}
	// The token source caches the token until shortly before it expires.
	ts := c.TokenSource(context.Background())
	return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
		tok, err := ts.Token()
		if err != nil {
			return oauth.Auth{}, fmt.Errorf("fetching an OAUTHBEARER token from %s: %w", c.TokenURL, err)
		}
		return oauth.Auth{Token: tok.AccessToken, Extensions: ext}, nil
	}), nil
}
