package confluent

import (
	"crypto/tls"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// RegistryConfig is how to reach a Confluent-compatible schema registry.
type RegistryConfig struct {
	URLs               []string
	Username, Password string // basic auth
	Token              string // bearer token
	TLS                *tls.Config
	Timeout            time.Duration
	// CacheSize bounds the schemas kept per codec (by ID, and IDs by
	// subject). 0 means 1000.
	CacheSize int
	// IgnoreRules uses a schema that carries a rule set (conditions,
	// transforms, encryption) as if it had none. Ferry executes no rules,
	// so by default such a schema is an error (ErrRuleSet).
	IgnoreRules bool
	// PreRequest, when set, is called with every request before it is
	// sent: to sign it (OAuth 1, a JWT) in ways the fields above do not.
	PreRequest func(*http.Request) error
	// Normalize asks the registry to normalize a schema before
	// registering or looking it up, as Confluent's normalize.schemas does.
	Normalize bool
}

// SchemaReference names a schema another refers to: the name the
// referring schema uses for it (an Avro type's full name, a .proto import
// path, a JSON Schema $ref), and the subject and version it is registered
// under (-1: the latest).
type SchemaReference = sr.SchemaReference
