package confluent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// Registry is the schema registry as one Confluent wire codec sees it: a
// client, and caches of what it has learnt, so that each schema is fetched
// and compiled once. T is a schema compiled for the codec's language
// (Avro, JSON Schema); the wire framing and the caching are the same for
// every language, so they live here once.
type Registry[T any] struct {
	cl       *sr.Client
	typ      sr.SchemaType
	compile  func(ctx context.Context, s sr.Schema) (T, error)
	refresh  time.Duration
	maxCache int

	mu       sync.RWMutex
	ids      map[string]int       // subject -> ID of the local schema
	compiled map[int]T            // writer schemas
	newest   map[string]latest[T] // subject -> latest schema
}

type latest[T any] struct {
	id      int
	schema  T
	fetched time.Time
}

// NewRegistry connects to the registry c describes. compile turns a
// registered schema of type typ into T; it may resolve the schema's
// references through the returned registry's client.
func NewRegistry[T any](c RegistryConfig, typ sr.SchemaType, refresh time.Duration, compile func(context.Context, sr.Schema) (T, error)) (*Registry[T], error) {
	r := &Registry[T]{
		typ:      typ,
		compile:  compile,
		refresh:  refresh,
		maxCache: c.CacheSize,
		ids:      map[string]int{},
		compiled: map[int]T{},
		newest:   map[string]latest[T]{},
	}
	if r.maxCache <= 0 {
		r.maxCache = 1000
	}
	if r.refresh <= 0 {
		r.refresh = 5 * time.Minute
	}
	opts := []sr.ClientOpt{sr.URLs(c.URLs...), sr.UserAgent("ferry")}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.TLS != nil {
		tr.TLSClientConfig = c.TLS.Clone()
	}
	opts = append(opts, sr.HTTPClient(&http.Client{Timeout: timeout, Transport: tr}))
	if c.Username != "" {
		opts = append(opts, sr.BasicAuth(c.Username, c.Password))
	}
	if c.Token != "" {
		opts = append(opts, sr.BearerToken(c.Token))
	}
	var err error
	if r.cl, err = sr.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("schema_registry: %w", err)
	}
	return r, nil
}

// IDOf returns the ID of the local schema under subject, registering it
// first when register is set.
func (r *Registry[T]) IDOf(ctx context.Context, subject string, local sr.Schema, register bool) (int, error) {
	r.mu.RLock()
	id, ok := r.ids[subject]
	r.mu.RUnlock()
	if ok {
		return id, nil
	}
	var ss sr.SubjectSchema
	var err error
	if register {
		if ss, err = r.cl.CreateSchema(ctx, subject, local); err != nil {
			return 0, fmt.Errorf("registering the schema under subject %q: %w", subject, Unavailable(err))
		}
	} else if ss, err = r.cl.LookupSchema(ctx, subject, local); err != nil {
		return 0, fmt.Errorf("looking the schema up under subject %q (auto_register is off): %w", subject, Unavailable(err))
	}
	r.mu.Lock()
	if len(r.ids) >= r.maxCache {
		clear(r.ids)
	}
	r.ids[subject] = ss.ID
	r.mu.Unlock()
	return ss.ID, nil
}

// Latest returns the subject's latest schema, looked for again every
// refresh; while the registry is away it keeps the one it had.
func (r *Registry[T]) Latest(ctx context.Context, subject string) (int, T, error) {
	r.mu.RLock()
	l, ok := r.newest[subject]
	r.mu.RUnlock()
	if ok && time.Since(l.fetched) < r.refresh {
		return l.id, l.schema, nil
	}
	ss, err := r.cl.SchemaByVersion(ctx, subject, -1)
	if err != nil {
		if ok {
			return l.id, l.schema, nil
		}
		var zero T
		return 0, zero, fmt.Errorf("fetching the latest schema of subject %q: %w", subject, Unavailable(err))
	}
	s, err := r.cached(ctx, ss.ID, &ss.Schema)
	if err != nil {
		var zero T
		return 0, zero, err
	}
	r.mu.Lock()
	if len(r.newest) >= r.maxCache {
		clear(r.newest)
	}
	r.newest[subject] = latest[T]{id: ss.ID, schema: s, fetched: time.Now()}
	r.mu.Unlock()
	return ss.ID, s, nil
}

// ByID returns the compiled writer schema for id, fetching it once.
func (r *Registry[T]) ByID(ctx context.Context, id int) (T, error) {
	return r.cached(ctx, id, nil)
}

// cached returns the compiled schema for id, compiling known (when the
// caller has the schema already) or else fetching it.
func (r *Registry[T]) cached(ctx context.Context, id int, known *sr.Schema) (T, error) {
	var zero T
	r.mu.RLock()
	s, ok := r.compiled[id]
	r.mu.RUnlock()
	if ok {
		return s, nil
	}
	if known == nil {
		got, err := r.cl.SchemaByID(ctx, id)
		if err != nil {
			var re *sr.ResponseError
			if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
				return zero, fmt.Errorf("%w: schema ID %d: %v", ErrUnknownSchema, id, err)
			}
			return zero, fmt.Errorf("fetching schema ID %d: %w", id, Unavailable(err))
		}
		known = &got
	}
	if known.Type != r.typ {
		return zero, fmt.Errorf("schema ID %d is %s, not %s", id, known.Type, r.typ)
	}
	s, err := r.compile(ctx, *known)
	if err != nil {
		return zero, fmt.Errorf("schema ID %d: %w", id, err)
	}
	r.mu.Lock()
	if len(r.compiled) >= r.maxCache {
		clear(r.compiled)
	}
	r.compiled[id] = s
	r.mu.Unlock()
	return s, nil
}

// References fetches the schemas that s refers to, depth first, each
// once: what a compiler needs to resolve s's imports or $refs, by the
// names s uses for them.
func (r *Registry[T]) References(ctx context.Context, s sr.Schema) (map[string]string, error) {
	out := map[string]string{}
	var walk func(refs []sr.SchemaReference) error
	walk = func(refs []sr.SchemaReference) error {
		for _, ref := range refs {
			if _, done := out[ref.Name]; done {
				continue
			}
			ss, err := r.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
			if err != nil {
				return fmt.Errorf("reference %q (subject %q version %d): %w", ref.Name, ref.Subject, ref.Version, Unavailable(err))
			}
			out[ref.Name] = ss.Schema.Schema
			if err := walk(ss.Schema.References); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(s.References)
}

// Client is the registry client, for what the caches do not cover
// (looking up the versions a schema's references are registered under).
func (r *Registry[T]) Client() *sr.Client { return r.cl }
