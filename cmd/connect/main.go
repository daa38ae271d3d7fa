// Command connect is Benthos with Ferry's Kafka components: every Benthos
// subcommand (run, lint, list, echo, test, blobl, streams) plus `dev`, a
// throwaway Kafka broker and schema registry for trying pipelines out.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/redpanda-data/benthos/v4/public/service"

	// Benthos's own components: generate, stdin/stdout, files, http,
	// mappings, switch, fallback, and the rest of pure and io.
	_ "github.com/redpanda-data/benthos/v4/public/components/io"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	// Ferry's components.
	_ "github.com/ferry-connect/ferry/plugin/all"

	// Redpanda Connect's Kafka component names over Ferry's components
	// (kafka_franz, redpanda, redpanda_common, kafka) and its top-level
	// redpanda block, so its configs run unchanged.
	"github.com/ferry-connect/ferry/plugin/compat"
	"github.com/ferry-connect/ferry/plugin/otel"
	"github.com/ferry-connect/ferry/plugin/prometheus"
)

// Version and DateBuilt are set at build time with
// -ldflags "-X main.Version=... -X main.DateBuilt=...".
var (
	Version   = ""
	DateBuilt = ""
)

func main() {
	version := Version
	if version == "" {
		version = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			version = bi.Main.Version
		}
	}
	if DateBuilt == "" {
		DateBuilt = "unknown"
	}
	if err := prometheus.Register(service.GlobalEnvironment()); err != nil {
		panic(err)
	}
	if err := otel.Register(service.GlobalEnvironment()); err != nil {
		panic(err)
	}
	if len(os.Args) > 1 && (os.Args[1] == "lint" || os.Args[1] == "run") {
		checkAcrossComponents(os.Args[2:]) // exits if a config breaks a rule
	}
	service.RunCLI(context.Background(),
		service.CLIOptSetBinaryName("connect"),
		service.CLIOptSetProductName("Ferry"),
		service.CLIOptSetVersion(version, DateBuilt),
		service.CLIOptAddCommand(devCommand()),
		// Redpanda Connect's top-level redpanda block, which its
		// redpanda and redpanda_common components take their connection
		// from.
		service.CLIOptSetMainSchemaFrom(func() *service.ConfigSchema {
			return service.GlobalEnvironment().FullConfigSchema(version, DateBuilt).Field(compat.Block())
		}),
		service.CLIOptOnConfigParse(compat.SetBlock),
	)
}
