package confluent

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
)

// Wire-format errors. Each decoding failure wraps one of these, so callers
// can tell a record that is not in the Confluent format from one whose
// schema cannot be had. Package serde gives them the same values under
// the same names, for callers that match on serde's errors.
var (
	ErrWireFormat    = errors.New("not Confluent wire format")
	ErrUnknownSchema = errors.New("schema ID not found in the registry")
	// ErrRegistryUnavailable wraps failures to reach the registry (a
	// network error or a 5xx answer): the registry's state, not the
	// record's, so callers should retry rather than dead-letter.
	ErrRegistryUnavailable = errors.New("schema registry unavailable")
)

// Unavailable marks transport failures and server errors as
// ErrRegistryUnavailable; answers about the request itself (4xx) are left
// as they are.
func Unavailable(err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && re.StatusCode < 500 {
		return err
	}
	return fmt.Errorf("%w: %w", ErrRegistryUnavailable, err)
}
