package serde

// Headers are a Kafka record's headers as a codec sees them. Confluent's
// serializers can name a value's schema in a header (`__value_schema_id`)
// instead of in the value's first bytes, so a Confluent codec reads the
// headers before the payload, and writes one when asked to frame that
// way. Callers adapt their own record type to this interface, so a record's
// headers are never copied to be looked at.
type Headers interface {
	// Get returns the value of the first header named key.
	Get(key string) (value []byte, ok bool)
	// Set replaces every header named key with one holding value, or
	// adds it.
	Set(key string, value []byte)
}

// Header is one record header, for HeaderList.
type Header struct {
	Key   string
	Value []byte
}

// HeaderList is a Headers kept in a slice, in record order: what a Go
// program that holds no record of its own hands a codec.
type HeaderList []Header

// Get returns the value of the first header named key.
func (l *HeaderList) Get(key string) ([]byte, bool) {
	if l == nil {
		return nil, false
	}
	for _, h := range *l {
		if h.Key == key {
			return h.Value, true
		}
	}
	return nil, false
}

// Set replaces every header named key with one holding value, or adds it.
func (l *HeaderList) Set(key string, value []byte) {
	out := (*l)[:0]
	set := false
	for _, h := range *l {
		switch {
		case h.Key != key:
			out = append(out, h)
		case !set:
			out = append(out, Header{Key: key, Value: value})
			set = true
		}
	}
	if !set {
		out = append(out, Header{Key: key, Value: value})
	}
	*l = out
}

// SchemaHeaderer is implemented by codecs that can name a record's schema
// in a header (the Confluent codecs). A caller that copies headers from
// elsewhere (a sink writing a message's metadata as headers) drops any
// header of that name the codec did not set itself: a header left over
// from the record a message was read from would otherwise name the wrong
// schema for the bytes written now, and readers look at headers first.
type SchemaHeaderer interface {
	SchemaHeader(key bool) string
}
