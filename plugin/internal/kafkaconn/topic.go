package kafkaconn

import "fmt"

// ValidTopic applies Kafka's own topic name rules, so that a bad
// interpolated topic fails its record with a clear reason instead of a
// broker error (or worse, auto-creating a topic nobody meant).
func ValidTopic(t string) error {
	if t == "" {
		return fmt.Errorf("topic name is empty")
	}
	if t == "." || t == ".." {
		return fmt.Errorf("topic name %q is not allowed", t)
	}
	if len(t) > 249 {
		return fmt.Errorf("topic name is %d characters long, the limit is 249", len(t))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("topic name %q has the character %q; only letters, digits, '.', '_' and '-' are allowed", t, c)
		}
	}
	return nil
}
