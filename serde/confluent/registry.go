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

	ignoreRules bool
	normalize   bool

	mu       sync.RWMutex
	ids      map[string]Ident       // subject -> the local schema's ID
	compiled map[SchemaRef]entry[T] // writer schemas
	newest   map[string]latest[T]   // subject -> latest schema
}

// Ident is how the registry names a registered schema: its ID, and its
// GUID when the registry has GUIDs (Confluent Platform 8 and later).
type Ident struct {
	ID   int
	GUID string
}

type entry[T any] struct {
	ident  Ident
	schema T
}

type latest[T any] struct {
	ident   Ident
	schema  T
	fetched time.Time
}

// AnyType, as NewRegistry's typ, takes schemas of every language: compile
// sees the schema's type and decides.
const AnyType sr.SchemaType = -1

// NewRegistry connects to the registry c describes. compile turns a
// registered schema of type typ into T; it may resolve the schema's
// references through the returned registry's client.
func NewRegistry[T any](c RegistryConfig, typ sr.SchemaType, refresh time.Duration, compile func(context.Context, sr.Schema) (T, error)) (*Registry[T], error) {
	r := &Registry[T]{
		typ:      typ,
		compile:  compile,
		refresh:  refresh,
		maxCache: c.CacheSize,

		ignoreRules: c.IgnoreRules,
		normalize:   c.Normalize,
		ids:         map[string]Ident{},
		compiled:    map[SchemaRef]entry[T]{},
		newest:      map[string]latest[T]{},
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
	if c.PreRequest != nil {
		opts = append(opts, sr.PreReq(c.PreRequest))
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
	id, err := r.IdentOf(ctx, subject, local, register, false)
	return id.ID, err
}

// IdentOf returns the ID (and, with guid, the GUID) of the local schema
// under subject, registering it first when register is set.
func (r *Registry[T]) IdentOf(ctx context.Context, subject string, local sr.Schema, register, guid bool) (Ident, error) {
	r.mu.RLock()
	id, ok := r.ids[subject]
	r.mu.RUnlock()
	if ok && (!guid || id.GUID != "") {
		return id, nil
	}
	if r.normalize {
		ctx = sr.WithParams(ctx, sr.Normalize)
	}
	var ss sr.SubjectSchema
	var err error
	if register {
		if ss, err = r.cl.CreateSchema(ctx, subject, local); err != nil {
			return Ident{}, fmt.Errorf("registering the schema under subject %q: %w", subject, Unavailable(err))
		}
	} else if ss, err = r.cl.LookupSchema(ctx, subject, local); err != nil {
		return Ident{}, fmt.Errorf("looking the schema up under subject %q (auto_register is off): %w", subject, Unavailable(err))
	}
	id = Ident{ID: ss.ID, GUID: ss.GUID}
	if guid && id.GUID == "" {
		w, err := r.fetch(ctx, SchemaRef{ID: id.ID}, "")
		if err != nil {
			return Ident{}, err
		}
		if id.GUID = w.GUID; id.GUID == "" {
			return Ident{}, errNoGUID(id.ID)
		}
	}
	r.mu.Lock()
	if len(r.ids) >= r.maxCache {
		clear(r.ids)
	}
	r.ids[subject] = id
	r.mu.Unlock()
	return id, nil
}

// Latest returns the subject's latest schema, looked for again every
// refresh; while the registry is away it keeps the one it had.
func (r *Registry[T]) Latest(ctx context.Context, subject string) (int, T, error) {
	id, s, err := r.LatestIdent(ctx, subject, false)
	return id.ID, s, err
}

// errNoGUID is the error for a schema a caller needs the GUID of (header
// framing) from a registry that gives none.
func errNoGUID(id int) error {
	return fmt.Errorf("schema ID %d: the registry names no GUID for it, and header framing writes GUIDs (Confluent Schema Registry 8.0 or later has them)", id)
}

// LatestIdent is Latest, naming the schema by ID and GUID; with guid, a
// schema the registry gives no GUID for is an error.
func (r *Registry[T]) LatestIdent(ctx context.Context, subject string, guid bool) (Ident, T, error) {
	id, s, err := r.latestIdent(ctx, subject)
	if err == nil && guid && id.GUID == "" {
		err = errNoGUID(id.ID)
	}
	return id, s, err
}

func (r *Registry[T]) latestIdent(ctx context.Context, subject string) (Ident, T, error) {
	r.mu.RLock()
	l, ok := r.newest[subject]
	r.mu.RUnlock()
	if ok && time.Since(l.fetched) < r.refresh {
		return l.ident, l.schema, nil
	}
	var zero T
	w, err := r.fetchLatest(ctx, subject)
	if err != nil {
		if ok && errors.Is(err, ErrRegistryUnavailable) {
			return l.ident, l.schema, nil
		}
		return Ident{}, zero, err
	}
	e, err := r.cached(ctx, SchemaRef{ID: w.ID}, "", w)
	if err != nil {
		return Ident{}, zero, err
	}
	e.ident.GUID = w.GUID
	r.mu.Lock()
	if len(r.newest) >= r.maxCache {
		clear(r.newest)
	}
	r.newest[subject] = latest[T]{ident: e.ident, schema: e.schema, fetched: time.Now()}
	r.mu.Unlock()
	return e.ident, e.schema, nil
}

// ByID returns the compiled writer schema for id, fetching it once.
func (r *Registry[T]) ByID(ctx context.Context, id int) (T, error) {
	e, err := r.cached(ctx, SchemaRef{ID: id}, "", nil)
	return e.schema, err
}

// ByRef returns the compiled writer schema ref names, fetching it once.
// subject, when set, scopes an ID lookup (see fetch).
func (r *Registry[T]) ByRef(ctx context.Context, ref SchemaRef, subject string) (T, error) {
	e, err := r.cached(ctx, ref, subject, nil)
	return e.schema, err
}

// cached returns the compiled schema for ref, compiling known (when the
// caller has the schema already) or else fetching it, its ID lookup
// scoped to subject when set. A schema with rules is refused unless
// rules are ignored.
func (r *Registry[T]) cached(ctx context.Context, ref SchemaRef, subject string, known *wireSchema) (entry[T], error) {
	r.mu.RLock()
	e, ok := r.compiled[ref]
	r.mu.RUnlock()
	if ok {
		return e, nil
	}
	if known == nil {
		w, err := r.fetch(ctx, ref, subject)
		if err != nil {
			return e, err
		}
		known = w
	}
	if r.typ != AnyType && known.Type != r.typ {
		return e, fmt.Errorf("%s is %s, not %s", ref, known.Type, r.typ)
	}
	if !r.ignoreRules {
		if err := known.checkRules(); err != nil {
			return e, fmt.Errorf("%s: %w", ref, err)
		}
	}
	s, err := r.compile(ctx, known.schema())
	if err != nil {
		return e, fmt.Errorf("%s: %w", ref, err)
	}
	e = entry[T]{ident: Ident{ID: known.ID, GUID: known.GUID}, schema: s}
	r.mu.Lock()
	if len(r.compiled) >= r.maxCache {
		clear(r.compiled)
	}
	r.compiled[ref] = e
	r.mu.Unlock()
	return e, nil
}

// Reference is one schema a schema refers to, fetched: the name the
// referring schema uses for it and its text.
type Reference struct {
	Name, Text string
	// Subject and Version are where it is registered, the version
	// resolved when the reference asked for the latest (-1).
	Subject string
	Version int
}

// References fetches the schemas that s refers to, each once: what a
// compiler needs to resolve s's imports or $refs, by the names s uses for
// them.
func (r *Registry[T]) References(ctx context.Context, s sr.Schema) (map[string]string, error) {
	list, err := r.ReferenceList(ctx, s.References)
	out := make(map[string]string, len(list))
	for _, ref := range list {
		out[ref.Name] = ref.Text
	}
	return out, err
}

// ReferenceList fetches the schemas refs name, depth first, each once,
// every schema after the schemas it refers to: the order an Avro parser
// must see named types in.
func (r *Registry[T]) ReferenceList(ctx context.Context, refs []sr.SchemaReference) ([]Reference, error) {
	var out []Reference
	seen := map[string]bool{}
	var walk func(refs []sr.SchemaReference, depth int) error
	walk = func(refs []sr.SchemaReference, depth int) error {
		if depth > 32 {
			return errors.New("schema references nest deeper than 32")
		}
		for _, ref := range refs {
			if seen[ref.Name] {
				continue
			}
			seen[ref.Name] = true
			ss, err := r.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
			if err != nil {
				return fmt.Errorf("reference %q (subject %q version %d): %w", ref.Name, ref.Subject, ref.Version, Unavailable(err))
			}
			if err := walk(ss.Schema.References, depth+1); err != nil {
				return err
			}
			out = append(out, Reference{Name: ref.Name, Text: ss.Schema.Schema, Subject: ref.Subject, Version: ss.Version})
		}
		return nil
	}
	return out, walk(refs, 0)
}

// Client is the registry client, for what the caches do not cover
// (looking up the versions a schema's references are registered under).
func (r *Registry[T]) Client() *sr.Client { return r.cl }
