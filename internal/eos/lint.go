package eos

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Lint checks exactly-once's rules that span components, in a whole
// config as YAML decodes it: every kafka_sink's transaction.commit_source
// names a kafka_source of the config, by label, and that input has a
// consumer_group. A component's own lint rules cannot see its neighbours,
// so `connect lint` and `connect run` apply this to the config as a whole;
// a pipeline built another way finds out when the output connects.
// Resource files linted with a config are passed after it.
func Lint(confs ...any) []string {
	var sources = map[string][]source{}
	var sinks []sink
	visit := func(path string, m map[string]any) {
		if cfg, ok := m["kafka_source"].(map[string]any); ok {
			label, _ := m["label"].(string)
			group, _ := cfg["consumer_group"].(string)
			sources[label] = append(sources[label], source{path: path, group: group})
		}
		if cfg, ok := m["kafka_sink"].(map[string]any); ok {
			txn, _ := cfg["transaction"].(map[string]any)
			if name, _ := txn["commit_source"].(string); name != "" {
				sinks = append(sinks, sink{path: join(path, "kafka_sink.transaction.commit_source"), source: name})
			}
		}
	}
	for _, c := range confs {
		walk(c, "", visit)
	}
	var errs []string
	for _, s := range sinks {
		found := sources[s.source]
		switch {
		case s.source == "" || len(found) == 0:
			errs = append(errs, fmt.Sprintf("%s: no kafka_source labelled %q in this config (give the input `label: %s`)", s.path, s.source, s.source))
		case len(found) > 1:
			errs = append(errs, fmt.Sprintf("%s: %d kafka_source inputs are labelled %q", s.path, len(found), s.source))
		case found[0].group == "":
			errs = append(errs, fmt.Sprintf("%s: the kafka_source labelled %q (%s) has no consumer_group: exactly-once commits its offsets to the group", s.path, s.source, found[0].path))
		}
	}
	sort.Strings(errs)
	return errs
}

type source struct {
	path, group string
}

type sink struct {
	path, source string
}

// walk calls visit for every object in v, with its dotted path.
func walk(v any, path string, visit func(path string, m map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		visit(path, t)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(t[k], join(path, k), visit)
		}
	case []any:
		for i, e := range t {
			walk(e, path+"["+strconv.Itoa(i)+"]", visit)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return strings.Join([]string{path, key}, ".")
}
