package kafkaconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/redpanda-data/benthos/v4/public/utils/netutil"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Config is the parsed connection section of a component.
type Config struct {
	SeedBrokers    []string
	ClientID       string
	TLS            *tls.Config // nil when TLS is off
	SASL           []sasl.Mechanism
	MetadataMaxAge time.Duration
	MetadataMinAge time.Duration
	DialTimeout    time.Duration
	RequestTimeout time.Duration
	ConnIdle       time.Duration
	// Dialer carries the tcp block's settings (keep-alive, user timeout,
	// connect timeout); its Timeout is dial_timeout.
	Dialer net.Dialer
	// MaxVersions caps every request's version (target_version); nil
	// negotiates with the broker.
	MaxVersions *kversion.Versions
}

// Parse reads the connection fields from conf. Every error names the field
// it came from.
func Parse(conf *service.ParsedConfig) (*Config, error) {
	c := &Config{}
	var raw []string
	var err error
	if conf.Contains(FieldSeedBrokers) {
		if raw, err = conf.FieldStringList(FieldSeedBrokers); err != nil {
			return nil, err
		}
	}
	for _, item := range raw {
		for _, addr := range strings.Split(item, ",") {
			if addr = strings.TrimSpace(addr); addr != "" {
				full, err := withPort(addr)
				if err != nil {
					return nil, fmt.Errorf("field %s: broker address %q: %w", FieldSeedBrokers, addr, err)
				}
				c.SeedBrokers = append(c.SeedBrokers, full)
			}
		}
	}
	if len(c.SeedBrokers) == 0 {
		return nil, fmt.Errorf("field %s: at least one broker address is required", FieldSeedBrokers)
	}
	if c.ClientID, err = conf.FieldString(FieldClientID); err != nil {
		return nil, err
	}
	tlsConf, tlsOn, err := conf.FieldTLSToggled(FieldTLS)
	if err != nil {
		return nil, err
	}
	if tlsOn {
		c.TLS = tlsConf
	}
	if c.SASL, err = parseSASL(conf); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		field string
		dst   *time.Duration
	}{
		{FieldMetadataMaxAge, &c.MetadataMaxAge},
		{FieldMetadataMinAge, &c.MetadataMinAge},
		{FieldDialTimeout, &c.DialTimeout},
		{FieldRequestTimeout, &c.RequestTimeout},
		{FieldConnIdle, &c.ConnIdle},
	} {
		if *d.dst, err = conf.FieldDuration(d.field); err != nil {
			return nil, err
		}
		if *d.dst <= 0 {
			return nil, fmt.Errorf("field %s: must be positive, got %v", d.field, *d.dst)
		}
	}
	if err := c.parseDialer(conf); err != nil {
		return nil, err
	}
	if c.MaxVersions, err = parseTargetVersion(conf); err != nil {
		return nil, err
	}
	return c, nil
}

// withPort gives addr the default port when it names none ("broker",
// "10.0.0.1", "::1", "[::1]"); an address malformed otherwise (an empty
// port, a stray colon or bracket, a space) is refused, not guessed at.
func withPort(addr string) (string, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if host == "" || port == "" || strings.ContainsAny(host, " /") {
			return "", fmt.Errorf("want host:port")
		}
		return addr, nil
	}
	host := addr
	if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		host = addr[1 : len(addr)-1]
	}
	if strings.Contains(host, ":") {
		if net.ParseIP(host) == nil {
			return "", fmt.Errorf("want host:port")
		}
	} else if host == "" || strings.ContainsAny(host, "[] /") {
		return "", fmt.Errorf("want host:port")
	}
	return net.JoinHostPort(host, DefaultPort), nil
}

// parseDialer reads the tcp block into the dialer every broker connection
// is made with.
func (c *Config) parseDialer(conf *service.ParsedConfig) error {
	c.Dialer = net.Dialer{Timeout: c.DialTimeout}
	if !conf.Contains(FieldTCP) {
		return nil
	}
	dc, err := netutil.DialerConfigFromParsed(conf.Namespace(FieldTCP))
	if err != nil {
		return fmt.Errorf("field %s: %w", FieldTCP, err)
	}
	if err := netutil.DecorateDialer(&c.Dialer, dc); err != nil {
		return fmt.Errorf("field %s: %w", FieldTCP, err)
	}
	if c.Dialer.Timeout <= 0 {
		c.Dialer.Timeout = c.DialTimeout
	}
	return nil
}

// parseTargetVersion reads target_version as franz-go's kversion does
// ("2.1.0", "v3.6", "0.11.0.2").
func parseTargetVersion(conf *service.ParsedConfig) (*kversion.Versions, error) {
	s, err := conf.FieldString(FieldTargetVersion)
	if err != nil || strings.TrimSpace(s) == "" {
		return nil, err
	}
	vs := kversion.FromString(strings.TrimSpace(s))
	if vs == nil {
		return nil, fmt.Errorf("field %s: %q is not a Kafka version franz-go knows (from 0.8.0 to 4.x, e.g. 2.1.0)", FieldTargetVersion, s)
	}
	return vs, nil
}

func parseSASL(conf *service.ParsedConfig) ([]sasl.Mechanism, error) {
	if !conf.Contains(FieldSASL) {
		return nil, nil
	}
	entries, err := conf.FieldObjectList(FieldSASL)
	if err != nil {
		return nil, err
	}
	var mechs []sasl.Mechanism
	for i, e := range entries {
		field := fmt.Sprintf("%s[%d]", FieldSASL, i)
		mech, err := e.FieldString("mechanism")
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", field, err)
		}
		var user, pass, token string
		for _, f := range []struct {
			name string
			dst  *string
		}{{"username", &user}, {"password", &pass}, {"token", &token}} {
			if *f.dst, err = e.FieldString(f.name); err != nil {
				return nil, fmt.Errorf("field %s.%s: %w", field, f.name, err)
			}
		}
		switch mech {
		case MechPlain, MechScramSHA256, MechScramSHA512:
			if user == "" {
				return nil, fmt.Errorf("field %s.username: required for mechanism %s", field, mech)
			}
		case MechOAuthBearer:
			if token == "" && !e.Contains("oidc") {
				return nil, fmt.Errorf("field %s.token: required for mechanism %s (or field %s.oidc)", field, mech, field)
			}
			if token != "" && e.Contains("oidc") {
				return nil, fmt.Errorf("field %s: token and oidc are exclusive: set one", field)
			}
		}
		switch mech {
		case MechPlain:
			mechs = append(mechs, plain.Auth{User: user, Pass: pass}.AsMechanism())
		case MechScramSHA256:
			mechs = append(mechs, scram.Auth{User: user, Pass: pass}.AsSha256Mechanism())
		case MechScramSHA512:
			mechs = append(mechs, scram.Auth{User: user, Pass: pass}.AsSha512Mechanism())
		case MechOAuthBearer:
			var ext map[string]string
			if e.Contains("extensions") {
				if ext, err = e.FieldStringMap("extensions"); err != nil {
					return nil, fmt.Errorf("field %s.extensions: %w", field, err)
				}
			}
			if e.Contains("oidc") {
				m, err := oidcMechanism(e, ext)
				if err != nil {
					return nil, fmt.Errorf("field %s.%w", field, err)
				}
				mechs = append(mechs, m)
				continue
			}
			mechs = append(mechs, oauth.Auth{Token: token, Extensions: ext}.AsMechanism())
		case MechAWSMSKIAM:
			m, err := awsMechanism(e)
			if err != nil {
				return nil, fmt.Errorf("field %s.%w", field, err)
			}
			mechs = append(mechs, m)
		default:
			return nil, fmt.Errorf("field %s.mechanism: unsupported mechanism %q", field, mech)
		}
	}
	return mechs, nil
}

// Opts turns the connection config into franz-go client options.
func (c *Config) Opts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.SeedBrokers...),
		kgo.ClientID(c.ClientID),
		kgo.MetadataMaxAge(c.MetadataMaxAge),
		kgo.MetadataMinAge(c.MetadataMinAge),
		kgo.RequestTimeoutOverhead(c.RequestTimeout),
		kgo.ConnIdleTimeout(c.ConnIdle),
	}
	nd := c.Dialer
	if c.TLS != nil {
		opts = append(opts, kgo.Dialer((&tls.Dialer{NetDialer: &nd, Config: c.TLS.Clone()}).DialContext))
	} else {
		opts = append(opts, kgo.Dialer(nd.DialContext))
	}
	if c.MaxVersions != nil {
		opts = append(opts, kgo.MaxVersions(c.MaxVersions))
	}
	if len(c.SASL) > 0 {
		opts = append(opts, kgo.SASL(c.SASL...))
	}
	return opts
}

// Ping checks that the cluster answers, with authentication, within the
// dial timeout (at least a few seconds), so that a wrong address, a TLS
// mismatch or bad credentials fail Connect with the cause instead of
// hanging until the first record times out.
func (c *Config) Ping(ctx context.Context, cl *kgo.Client) error {
	wait := c.DialTimeout
	if wait < 5*time.Second {
		wait = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("cannot reach Kafka at %s: %w%s", strings.Join(c.SeedBrokers, ","), err, c.hint(err))
	}
	return nil
}

// hint explains an error that names no cause. A broker closes the
// connection without an answer when a login fails (some brokers, and
// kfake, do not send SASL_AUTHENTICATION_FAILED) or when a plain-text
// client talks to a TLS listener; say which settings to check.
func (c *Config) hint(err error) string {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		return ""
	}
	var checks []string
	if len(c.SASL) > 0 {
		var mechs []string
		for _, m := range c.SASL {
			mechs = append(mechs, m.Name())
		}
		checks = append(checks, fmt.Sprintf("the SASL mechanism (%s) and credentials in field %s", strings.Join(mechs, ", "), FieldSASL))
	} else {
		checks = append(checks, fmt.Sprintf("whether the brokers require SASL (field %s)", FieldSASL))
	}
	if c.TLS == nil {
		checks = append(checks, fmt.Sprintf("whether the listener requires TLS (field %s)", FieldTLS))
	}
	return " (the broker closed the connection without an answer: check " + strings.Join(checks, " and ") + ")"
}
