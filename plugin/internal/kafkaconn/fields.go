// Package kafkaconn holds the connection fields that every Ferry Kafka
// component shares (seed brokers, client ID, TLS, SASL, metadata timing)
// and turns a parsed config into franz-go client options. The fields are
// declared once here so the sink, the source and the DLQ writer cannot
// drift apart, and their names follow Redpanda Connect's kafka_franz
// components so a config migrates by renaming the component.
package kafkaconn

import (
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/redpanda-data/benthos/v4/public/utils/netutil"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
)

// Field names, exported for the components' lint rules and error messages.
const (
	FieldSeedBrokers    = "seed_brokers"
	FieldClientID       = "client_id"
	FieldTLS            = "tls"
	FieldSASL           = "sasl"
	FieldMetadataMaxAge = "metadata_max_age"
	FieldMetadataMinAge = "metadata_min_age"
	FieldDialTimeout    = "dial_timeout"
	FieldRequestTimeout = "request_timeout_overhead"
	FieldConnIdle       = "conn_idle_timeout"
	FieldTCP            = "tcp"
	FieldTargetVersion  = "target_version"
)

// DefaultPort is added to a broker address that names none, as franz-go
// and Redpanda Connect do.
const DefaultPort = "9092"

// SASL mechanism names accepted in `sasl[].mechanism`.
const (
	MechPlain       = "PLAIN"
	MechScramSHA256 = "SCRAM-SHA-256"
	MechScramSHA512 = "SCRAM-SHA-512"
	MechOAuthBearer = "OAUTHBEARER"
)

// Defaults are the defaults of the connection fields that differ between
// Ferry's components and the Redpanda Connect components plugin/compat
// registers over them.
type Defaults struct {
	ClientID       string
	MetadataMaxAge string
	// BrokersElsewhere makes seed_brokers optional: the dialect takes the
	// connection from elsewhere when it is left out (Redpanda Connect's
	// top-level redpanda block).
	BrokersElsewhere bool
}

// FerryDefaults are the defaults of Ferry's own components.
var FerryDefaults = Defaults{ClientID: "ferry", MetadataMaxAge: "5m"}

// Fields returns the connection fields, to be spliced into a component's
// spec with spec.Fields(kafkaconn.Fields()...).
func Fields() []*service.ConfigField { return FieldsWith(FerryDefaults) }

// FieldsWith returns the connection fields with the given defaults.
func FieldsWith(d Defaults) []*service.ConfigField {
	brokers := service.NewStringListField(FieldSeedBrokers).
		Description("Addresses of the Kafka brokers to bootstrap from. An item may hold several comma-separated addresses. An address without a port gets the default, 9092.").
		Example([]string{"localhost:9092"}).
		Example([]string{"foo:9092", "bar:9092"}).
		Example([]string{"foo:9092,bar:9092"})
	if d.BrokersElsewhere {
		brokers = brokers.Description("Addresses of the Kafka brokers to bootstrap from. Left out, the connection (brokers, TLS, SASL and the rest) comes from the top-level `redpanda` block.").Optional()
	}
	return []*service.ConfigField{
		brokers,
		service.NewStringField(FieldClientID).
			Description("The client ID sent to the brokers with every request, shown in broker logs and quotas.").
			Default(d.ClientID).
			Advanced(),
		service.NewTLSToggledField(FieldTLS),
		SASLField(),
		service.NewDurationField(FieldMetadataMaxAge).
			Description("The longest the client keeps cached cluster metadata before refreshing it, so new partitions and moved leaders are found.").
			Default(d.MetadataMaxAge).
			Advanced(),
		service.NewDurationField(FieldMetadataMinAge).
			Description("The shortest time between two metadata refreshes. Errors such as NOT_LEADER_FOR_PARTITION trigger a refresh at once, but no sooner than this after the last one, so it bounds how long a moved partition waits to be found again. The default rides through a rolling restart, where every leader moves, at most of its undisturbed pace (franz-go's own default of 5s made writes wait out whole timeouts; 100ms, the Java client's retry backoff, kept a quarter of it under the benchmark's faults: see docs/benchmarks.md, B7). It costs at most 50 metadata requests a second per client, and only while errors last; raise it for very large fleets of clients.").
			Default("20ms").
			Advanced(),
		service.NewDurationField(FieldDialTimeout).
			Description("How long to wait for a TCP (and TLS) connection to a broker.").
			Default("10s").
			Advanced(),
		service.NewDurationField(FieldRequestTimeout).
			Description("Extra time allowed on top of a request's own timeout before the client gives up on a broker's answer and retries on a fresh connection.").
			Default("10s").
			Advanced(),
		service.NewDurationField(FieldConnIdle).
			Description("How long an idle connection to a broker is kept open.").
			Default("20s").
			Advanced(),
		netutil.DialerConfigSpec(),
		service.NewStringField(FieldTargetVersion).
			Description("The newest Kafka version whose protocol the client may speak, e.g. `2.1.0` or `3.6`: every request is capped at the version that release knows, for brokers that claim more than they handle (older or partly compatible implementations). Empty (the default) negotiates each request's version with the broker. The name is Sarama's (Redpanda Connect's `kafka` components); unlike Sarama, leaving it empty does not pin an old version.").
			Default("").
			Example("2.1.0").
			Example("3.6.0").
			Advanced(),
	}
}

// BrokersRule refuses a component with no broker address, at lint, unless
// its dialect takes them from elsewhere.
func BrokersRule(d Defaults) []confrules.Rule {
	if d.BrokersElsewhere {
		return nil
	}
	return []confrules.Rule{{When: `this.seed_brokers.or([]).filter(b -> b.trim() != "").length() == 0`, Message: `"field seed_brokers: at least one broker address is required"`}}
}

// SASLField is the `sasl` list: one or more mechanisms tried in order.
func SASLField() *service.ConfigField {
	return service.NewObjectListField(FieldSASL,
		service.NewStringAnnotatedEnumField("mechanism", map[string]string{
			MechPlain:       "Plain text authentication. Use it only over TLS.",
			MechScramSHA256: "SCRAM authentication with SHA-256 (RFC 5802).",
			MechScramSHA512: "SCRAM authentication with SHA-512 (RFC 5802).",
			MechOAuthBearer: "OAuth bearer token authentication (KIP-255): a static `token`, or tokens fetched from an OIDC endpoint (`oidc`).",
			MechAWSMSKIAM:   "Amazon MSK's IAM authentication, signed with AWS credentials (`aws`).",
		}).Description("The SASL mechanism."),
		service.NewStringField("username").Description("The user name, for PLAIN and SCRAM.").Default(""),
		service.NewStringField("password").Description("The password, for PLAIN and SCRAM.").Default("").Secret(),
		service.NewStringField("token").Description("The bearer token, for OAUTHBEARER.").Default("").Secret(),
		service.NewStringMapField("extensions").Description("Key/value pairs sent with an OAUTHBEARER token (KIP-342).").Optional(),
		oidcField(),
		awsField(),
	).
		Description("SASL authentication. Several entries are tried in order until the brokers accept one.").
		Optional().
		Advanced().
		Example([]any{map[string]any{"mechanism": "SCRAM-SHA-512", "username": "ferry", "password": "${KAFKA_PASSWORD}"}})
}
