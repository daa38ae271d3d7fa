// Package compat registers Redpanda Connect's Kafka components under their
// own names, over Ferry's engines, so that a Redpanda Connect config runs
// in Ferry's binary unchanged and gets Ferry's delivery semantics: per-record
// outcomes, exact accounting, dead letters.
//
// Each component is Ferry's kafka_source or kafka_sink spoken in another
// dialect (input.Dialect, output.Dialect): Redpanda Connect's field names,
// defaults and deprecated aliases, as of Redpanda Connect 4.106. Where the
// behaviour differs, docs/migrating-from-redpanda-connect.md says how, per
// component.
//
// Block and SetBlock give a binary Redpanda Connect's top-level redpanda
// block, which redpanda and redpanda_common components take their
// connection from.
//
// cmd/connect imports this package; plugin/all does not, so a custom build
// that also links Redpanda Connect's own components does not collide with
// them. A custom build that wants the names imports it for its side effect:
//
//	import _ "github.com/ferry-connect/ferry/plugin/compat"
package compat
