package confluent

import "fmt"

// Subject strategies, as Confluent's serializers name them.
const (
	StrategyTopicName       = "topic_name"
	StrategyRecordName      = "record_name"
	StrategyTopicRecordName = "topic_record_name"
)

// Subjects names registry subjects as Confluent's serializers do: a fixed
// subject, or one derived from the topic and the record's name by a
// strategy.
type Subjects struct {
	fixed    string // subject, when set
	strategy string
	name     string // the record's (or schema's) name, for the record strategies
}

// NewSubjects checks strategy (empty means topic_name). subject, when set,
// wins over the strategy; name is the local schema's record name (Avro),
// message name (Protobuf) or title (JSON Schema), for the record
// strategies.
func NewSubjects(subject, strategy, name string) (Subjects, error) {
	s := Subjects{fixed: subject, strategy: strategy, name: name}
	if s.strategy == "" {
		s.strategy = StrategyTopicName
	}
	switch s.strategy {
	case StrategyTopicName, StrategyRecordName, StrategyTopicRecordName:
	default:
		return s, fmt.Errorf("subject_strategy %q: want topic_name, record_name or topic_record_name", s.strategy)
	}
	return s, nil
}

// Strategy is the strategy in force.
func (s Subjects) Strategy() string { return s.strategy }

// NeedsName reports whether the subject comes from the record's name.
func (s Subjects) NeedsName() bool {
	return s.fixed == "" && s.strategy != StrategyTopicName
}

// Of names the subject of a topic's keys (key) or values.
func (s Subjects) Of(topic string, key bool) string {
	if s.fixed != "" {
		return s.fixed
	}
	switch s.strategy {
	case StrategyRecordName:
		return s.name
	case StrategyTopicRecordName:
		return topic + "-" + s.name
	}
	if key {
		return topic + "-key"
	}
	return topic + "-value"
}
