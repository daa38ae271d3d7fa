package compat

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/serde"
)

// registryFields are the connection fields Redpanda Connect's
// schema_registry_* processors share: url, the request signers (oauth,
// basic_auth, jwt) and tls.
func registryFields(spec *service.ConfigSpec) *service.ConfigSpec {
	spec = spec.Field(service.NewURLField("url").Description("The base URL of the schema registry service."))
	for _, f := range service.NewHTTPRequestAuthSignerFields() {
		spec = spec.Field(f)
	}
	return spec.Field(service.NewTLSField("tls"))
}

// parseRegistry reads registryFields. TLS settings apply to an https URL
// whatever tls.enabled says, as in Redpanda Connect, whose processors
// read the block with FieldTLS.
func parseRegistry(conf *service.ParsedConfig, mgr *service.Resources) (serde.RegistryConfig, error) {
	var r serde.RegistryConfig
	u, err := conf.FieldString("url")
	if err != nil {
		return r, err
	}
	r.URLs = []string{strings.TrimSuffix(u, "/")}
	sign, err := conf.HTTPRequestAuthSignerFromParsed()
	if err != nil {
		return r, err
	}
	r.PreRequest = func(req *http.Request) error { return sign(mgr.FS(), req) }
	if r.TLS, err = conf.FieldTLS("tls"); err != nil {
		return r, fmt.Errorf("tls: %w", err)
	}
	return r, nil
}

// schemaMapper turns an avro.mapping into serde's MapSchema.
func schemaMapper(exec *bloblang.Executor) func(string) (string, error) {
	return func(s string) (string, error) {
		out, err := service.NewMessage([]byte(s)).BloblangQuery(exec)
		if err != nil {
			return "", fmt.Errorf("unable to apply avro schema mapping: %w", err)
		}
		if out == nil {
			return "", fmt.Errorf("the avro schema mapping deleted the schema")
		}
		b, err := out.AsBytes()
		return string(b), err
	}
}
