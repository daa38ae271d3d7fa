package kafkatest

import (
	// Pipelines in tests use Benthos's own inputs, outputs and processors
	// (generate, file, fallback, switch, mapping, ...).
	_ "github.com/redpanda-data/benthos/v4/public/components/io"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
)
