// Package confluent is what every schema language in Ferry shares with
// Confluent's serializers: the wire framing (a magic byte and a schema ID
// before the body), the schema registry client with its caches (by
// subject, by ID, latest) and reference fetching, and the subject naming
// strategies.
//
// It knows nothing of any one schema language: a format package compiles
// registered schemas into its own type T and gets a Registry[T] that
// fetches and compiles each schema once. Nor does it know serde's codec
// contract; serde re-exports its errors and RegistryConfig, as os does
// io/fs's errors, so the layering runs one way: confluent, then serde,
// then the formats.
package confluent
