// Package interp resolves an interpolated config field for the messages
// of a batch. It is the one way Ferry evaluates a per-message field:
// MessageBatch.TryInterpolatedString copies the whole batch on every call,
// so calling it once per message costs O(n²) per batch. Here a field
// without interpolation functions is its value, known at start-up, and any
// other runs through one executor per batch.
package interp

import "github.com/redpanda-data/benthos/v4/public/service"

// Field is an interpolated config field, or nothing (an optional field
// left out).
type Field struct {
	f        *service.InterpolatedString
	static   string
	staticB  []byte
	isStatic bool
}

// New wraps f; a nil f is a field that is not set.
func New(f *service.InterpolatedString) Field {
	if f == nil {
		return Field{}
	}
	if v, ok := f.Static(); ok {
		return Field{f: f, static: v, staticB: []byte(v), isStatic: true}
	}
	return Field{f: f}
}

// IsSet reports whether the field was configured.
func (f Field) IsSet() bool { return f.f != nil }

// Static returns the field's value when it has no interpolation
// functions.
func (f Field) Static() (string, bool) { return f.static, f.isStatic }

// Over prepares the field's evaluation for the messages of batch.
func (f Field) Over(batch service.MessageBatch) Batch {
	b := Batch{f: f}
	if f.f != nil && !f.isStatic {
		b.exec = batch.InterpolationExecutor(f.f)
	}
	return b
}

// Batch evaluates a field for the messages of one batch, by index.
type Batch struct {
	f    Field
	exec *service.MessageBatchInterpolationExecutor
}

// String is the field's value for message i.
func (b Batch) String(i int) (string, error) {
	if b.exec == nil {
		return b.f.static, nil
	}
	return b.exec.TryString(i)
}

// Bytes is the field's value for message i. A static value is shared by
// every message, so callers must not modify it.
func (b Batch) Bytes(i int) ([]byte, error) {
	if b.exec == nil {
		return b.f.staticB, nil
	}
	return b.exec.TryBytes(i)
}
