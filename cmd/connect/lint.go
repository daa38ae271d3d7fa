package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-connect/ferry/internal/eos"
)

// Rules that span components (a kafka_sink's transaction.commit_source
// must name a kafka_source of the same config, in a consumer group) cannot
// be a component's lint rule, which sees only its own config. `connect
// lint` and `connect run` check them on the config files first; a
// pipeline built another way finds out when its output connects.

// checkAcrossComponents checks the configs named in a lint or run command
// line (args after the subcommand; -r names resource files, checked with
// each config; other flags are Benthos's). It prints what breaks a rule
// and exits 1 if anything does; otherwise Benthos goes on as usual.
func checkAcrossComponents(args []string) {
	var files, resources []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-r" || a == "--resources":
			if i+1 < len(args) {
				resources = append(resources, glob(args[i+1])...)
				i++
			}
		case strings.HasPrefix(a, "-"):
		default:
			files = append(files, glob(a)...)
		}
	}
	var res []any
	for _, r := range resources {
		if v, err := readYAML(r); err == nil {
			res = append(res, v)
		}
	}
	failed := false
	for _, f := range files {
		v, err := readYAML(f)
		if err != nil {
			continue // Benthos reports it
		}
		for _, e := range eos.Lint(append([]any{v}, res...)...) {
			fmt.Fprintf(os.Stderr, "%s: %s\n", f, e)
			failed = true
		}
	}
	if failed {
		fmt.Fprintln(os.Stderr, "shutting down due to linter errors")
		os.Exit(1)
	}
}

func glob(pattern string) []string {
	if m, err := filepath.Glob(pattern); err == nil && len(m) > 0 {
		return m
	}
	return []string{pattern}
}

func readYAML(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}
