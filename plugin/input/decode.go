package input

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/plugin/internal/failure"
	"github.com/ferry-connect/ferry/plugin/internal/kafkameta"
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
	"github.com/ferry-connect/ferry/serde"
)

// decoder turns fetched records into messages with their metadata.
type decoder struct {
	key, value serdefield.Named
	keyJSON    bool   // the key codec decodes to JSON
	connector  string // the DLQ's connector name header
	// multiHeader sets each header as the list of its values (a header
	// name may repeat) instead of one string, the last one's.
	multiHeader bool
}

// metaCache holds metadata values boxed once and shared by the messages
// of a partition. A metadata value is stored boxed in an interface, and
// boxing a string or an int64 allocates (the host allocates a message, its
// map and a span per record besides). The values every record of a
// partition shares (topic, partition) and the timestamps of a run of
// records produced in the same millisecond are boxed once and reused:
// they are immutable, so sharing them between messages is safe.
type metaCache struct {
	topic, part any
	lastMs      int64
	ms, unix    any
}

// boxed returns r's shared metadata values, boxing anew only what changed.
func (m *metaCache) boxed(r *kgo.Record) *metaCache {
	if m.topic == nil {
		m.topic, m.part = r.Topic, int(r.Partition)
	}
	if ms := r.Timestamp.UnixMilli(); m.ms == nil || ms != m.lastMs {
		m.lastMs, m.ms, m.unix = ms, ms, r.Timestamp.Unix()
	}
	return m
}

// decode turns a record of p into a message, or says why it cannot: then
// the message holds the raw bytes, and the failure what a dead letter
// needs. hw is the partition's high watermark when it was fetched.
func (d *decoder) decode(ctx context.Context, p *partition, hw int64, r *kgo.Record) (*service.Message, *dlq.Failure) {
	// A null value is a tombstone: it passes through untouched, as
	// Confluent's deserializers return null for it (kafka_tombstone_message
	// says which it is).
	var value []byte
	var verr error
	hs := (*kafkameta.RecordHeaders)(&r.Headers)
	if r.Value != nil {
		if value, verr = d.value.Deserialize(ctx, serde.Target{Topic: r.Topic, Headers: hs}, r.Value); verr != nil {
			value = r.Value
		}
	}
	msg := service.NewMessage(value)
	var kerr error
	if r.Key != nil {
		key, err := d.key.Deserialize(ctx, serde.Target{Topic: r.Topic, Key: true, Headers: hs}, r.Key)
		if err != nil {
			key, kerr = r.Key, err
		} else if d.keyJSON && len(key) > 0 && key[0] == '"' {
			// A codec that decodes to JSON gives a string key as JSON
			// text; kafka_key holds the string itself, as key_field
			// takes it on the way in.
			var str string
			if json.Unmarshal(key, &str) == nil {
				key = []byte(str)
			}
		}
		msg.MetaSetMut(kafkameta.Key, string(key))
	}
	bm := p.meta.boxed(r)
	msg.MetaSetMut(kafkameta.Topic, bm.topic)
	msg.MetaSetMut(kafkameta.Partition, bm.part)
	msg.MetaSetMut(kafkameta.Offset, int(r.Offset))
	msg.MetaSetMut(kafkameta.TimestampMs, bm.ms)
	msg.MetaSetMut(kafkameta.TimestampUnix, bm.unix)
	msg.MetaSetMut(kafkameta.Tombstone, r.Value == nil)
	msg.MetaSetMut(kafkameta.Lag, max(hw-r.Offset-1, 0))
	d.headers(msg, r.Headers)
	switch {
	case verr != nil:
		return msg, d.failure(r, d.value.Type, fmt.Errorf("%s: %w", fieldValueDeserializer, verr))
	case kerr != nil:
		return msg, d.failure(r, d.key.Type, fmt.Errorf("%s: %w", fieldKeyDeserializer, kerr))
	}
	return msg, nil
}

// headers sets the record's headers as metadata: one string each, or with
// multi_header a list of every value of each name, in record order.
func (d *decoder) headers(msg *service.Message, hs []kgo.RecordHeader) {
	if !d.multiHeader {
		for _, h := range hs {
			msg.MetaSetMut(h.Key, string(h.Value))
		}
		return
	}
	lists := make(map[string][]any, len(hs))
	for _, h := range hs {
		lists[h.Key] = append(lists[h.Key], string(h.Value))
	}
	for k, v := range lists {
		msg.MetaSetMut(k, v)
	}
}

func (d *decoder) failure(r *kgo.Record, codecType string, err error) *dlq.Failure {
	return &dlq.Failure{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Stage: failure.StageDeserialize, Reason: failure.CodecReason(codecType),
		ClassName: "serde." + codecType, Err: err, Connector: d.connector,
	}
}
