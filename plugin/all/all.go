// Package all registers every Ferry component with Benthos. A custom
// Benthos or Redpanda Connect build adds Ferry with one blank import:
//
//	import _ "github.com/ferry-connect/ferry/plugin/all"
package all

import (
	// kafka_source
	_ "github.com/ferry-connect/ferry/plugin/input"
	// kafka_sink
	_ "github.com/ferry-connect/ferry/plugin/output"
	// serialize, deserialize
	_ "github.com/ferry-connect/ferry/plugin/processor"
)
