package docgen

import (
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/ferry-connect/ferry/plugin/all"
	"github.com/ferry-connect/ferry/plugin/prometheus"
)

var (
	registerOnce sync.Once
	registerErr  error
)

var update = flag.Bool("update", false, "rewrite the committed component docs (make docs)")

// The committed reference must be what the specs generate: change a spec,
// run `make docs`, commit both.
func TestComponentDocsUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	// The connect binary registers the Prometheus exporter on the global
	// environment in main; Benthos looks metrics docs up there only.
	registerOnce.Do(func() { registerErr = prometheus.Register(service.GlobalEnvironment()) })
	if registerErr != nil {
		t.Fatal(registerErr)
	}
	env := service.GlobalEnvironment()
	for _, c := range Components {
		got, err := Render(env, c)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		path := filepath.Join(root, c.Path())
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run make docs)", c.Path(), err)
		}
		if string(want) != got {
			t.Errorf("%s is out of date with the %s spec: run make docs and commit the result", c.Path(), c.Name)
		}
	}
}
