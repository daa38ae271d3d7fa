package docgen

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/ferry-connect/ferry/plugin/all"
)

var update = flag.Bool("update", false, "rewrite the committed component docs (make docs)")

// The committed reference must be what the specs generate: change a spec,
// run `make docs`, commit both.
func TestComponentDocsUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, c := range Components {
		got, err := Render(service.GlobalEnvironment(), c)
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
