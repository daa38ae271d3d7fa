// Package docgen renders Ferry's component reference from the live config
// specs, so the docs cannot drift from what `connect lint` enforces. It
// uses ConfigView.TemplateData with Ferry's own template because
// RenderDocs fails on specs with advanced fields in Benthos v4.80.
package docgen

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/redpanda-data/benthos/v4/public/service"
	"gopkg.in/yaml.v3"
)

// Component names one of Ferry's components.
type Component struct {
	Type string // input, output, processor
	Name string
}

// Components lists what Ferry adds to Benthos, in the order documented.
var Components = []Component{
	{Type: "input", Name: "kafka_source"},
	{Type: "output", Name: "kafka_sink"},
	{Type: "processor", Name: "serialize"},
	{Type: "processor", Name: "deserialize"},
	{Type: "metric", Name: "prometheus"},
}

// Path is where a component's page lives, relative to the repository root.
func (c Component) Path() string {
	return fmt.Sprintf("docs/components/%ss/%s.md", c.Type, c.Name)
}

type field struct {
	service.TemplateDataPluginField
	Advanced bool
	Depth    int
}

type page struct {
	service.TemplateDataPlugin
	Fields []field
}

var funcs = template.FuncMap{
	"indent": func(n int) string { return strings.Repeat("#", 3+min(n, 2)) },
	"oneline": func(s string) string {
		return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
	},
	"trim": strings.TrimSpace,
}

var tmpl = template.Must(template.New("page").Funcs(funcs).Parse(`<!-- Generated from the component's config spec by ` + "`make docs`" + `; do not edit. -->
# ` + "`{{.Name}}`" + `

**Type:** {{.Type}} · **Status:** {{.Status}}

{{trim .Summary}}

## Configuration

Common fields, with their defaults:

` + "```yaml" + `
{{trim .CommonConfigYAML}}
` + "```" + `

Every field:

` + "```yaml" + `
{{trim .AdvancedConfigYAML}}
` + "```" + `

{{trim .Description}}
{{- if .Examples}}

## Examples
{{range .Examples}}
### {{.Title}}

{{trim .Summary}}

` + "```yaml" + `
{{trim .Config}}
` + "```" + `
{{end}}{{end}}
## Fields
{{range .Fields}}
{{indent .Depth}} ` + "`{{.FullName}}`" + `

{{trim .Description}}

*Type:* ` + "`{{.Type}}`" + `{{if .DefaultMarshalled}} · *Default:* ` + "`{{.DefaultMarshalled}}`" + `{{end}}{{if .Advanced}} · *Advanced*{{end}}{{if .IsInterpolated}} · *Interpolated* ([functions](https://docs.redpanda.com/redpanda-connect/configuration/interpolation/#bloblang-queries)){{end}}{{if .IsSecret}} · *Secret*{{end}}
{{- if .AnnotatedOptions}}

| Option | Meaning |
|---|---|
{{- range .AnnotatedOptions}}
| ` + "`{{index . 0}}`" + ` | {{oneline (index . 1)}} |
{{- end}}
{{- else if .Options}}

*Options:* {{range $i, $o := .Options}}{{if $i}}, {{end}}` + "`{{$o}}`" + `{{end}}
{{- end}}
{{- if .ExamplesMarshalled}}

*Examples:*
{{range .ExamplesMarshalled}}
` + "```yaml" + `
{{trim .}}
` + "```" + `
{{end}}{{end}}
{{end}}`))

// Render renders one component's page from the environment's spec.
func Render(env *service.Environment, c Component) (string, error) {
	var view *service.ConfigView
	walk := map[string]func(func(string, *service.ConfigView)){
		"input":     env.WalkInputs,
		"output":    env.WalkOutputs,
		"processor": env.WalkProcessors,
		// Benthos v4.80 looks metrics up in the global bundle whatever the
		// environment; the caller registers exporters there.
		"metric": func(fn func(string, *service.ConfigView)) {
			if v, ok := env.GetMetricsConfig(c.Name); ok {
				fn(c.Name, v)
			}
		},
	}[c.Type]
	if walk == nil {
		return "", fmt.Errorf("unknown component type %q", c.Type)
	}
	walk(func(name string, v *service.ConfigView) {
		if name == c.Name {
			view = v
		}
	})
	if view == nil {
		return "", fmt.Errorf("%s %q is not registered", c.Type, c.Name)
	}
	data, err := view.TemplateData()
	if err != nil {
		return "", err
	}
	common, err := topLevelKeys(data.CommonConfigYAML, c.Name)
	if err != nil {
		return "", err
	}
	p := page{TemplateDataPlugin: data}
	for _, f := range data.Fields {
		top, _, _ := strings.Cut(f.FullName, ".")
		top, _, _ = strings.Cut(top, "[")
		p.Fields = append(p.Fields, field{
			TemplateDataPluginField: f,
			Advanced:                !common[top],
			Depth:                   strings.Count(f.FullName, "."),
		})
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// topLevelKeys returns the component's own keys in an example config:
// "output:\n  label: \"\"\n  kafka_sink:\n    topic: ..." for inputs and
// outputs, "label: \"\"\nserialize:\n  type: ..." for processors.
func topLevelKeys(conf, name string) (map[string]bool, error) {
	var root map[string]any
	if err := yaml.Unmarshal([]byte(conf), &root); err != nil {
		return nil, fmt.Errorf("parsing the common config: %w", err)
	}
	body, ok := root[name].(map[string]any)
	if !ok {
		for _, v := range root {
			if m, isMap := v.(map[string]any); isMap {
				if b, found := m[name].(map[string]any); found {
					body = b
				}
			}
		}
	}
	keys := map[string]bool{}
	for k := range body {
		keys[k] = true
	}
	return keys, nil
}
