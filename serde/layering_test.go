package serde_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The layering docs/architecture.md draws: no schema language imports
// another, serde's contract imports none of them (serde/mixed, which
// dispatches between them, is the one package that imports all three),
// and nothing under serde imports Benthos.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/ferry-connect/ferry/serde"
	formats := []string{mod + "/avro", mod + "/protobuf", mod + "/jsonschema"}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		seen++
		for _, d := range deps {
			if strings.HasPrefix(d, "github.com/redpanda-data/benthos") {
				t.Errorf("%s imports Benthos (%s)", pkg, d)
			}
			for _, f := range formats {
				if d == f && (pkg == mod || pkg == mod+"/confluent" || isFormat(pkg, formats)) {
					t.Errorf("%s imports the format package %s", pkg, f)
				}
			}
		}
	}
	if seen < 6 {
		t.Fatalf("go list saw %d packages under serde", seen)
	}
}

func isFormat(pkg string, formats []string) bool {
	for _, f := range formats {
		if pkg == f {
			return true
		}
	}
	return false
}
