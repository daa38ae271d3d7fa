package prometheus_test

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/prometheus"
)

// A custom build on core Benthos registers the exporter before running
// (docs/custom-build.md); `metrics: { prometheus: {} }` then works.
func ExampleRegister() {
	env := service.NewEnvironment()
	if err := prometheus.Register(env); err != nil {
		panic(err)
	}
	b := env.NewStreamBuilder()
	err := b.SetMetricsYAML("prometheus: {}")
	fmt.Println("metrics: { prometheus: {} } accepted:", err == nil)
	// Output: metrics: { prometheus: {} } accepted: true
}
