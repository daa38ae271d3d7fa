package confluent

import (
	"crypto/tls"
	"time"
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
}
