// Package deploy holds no code: its tests check the deployment examples
// in this directory against the tools that would run them, so that a
// renamed field or variable breaks here rather than in a user's cluster.
// It is a module of its own so that Ferry's go.mod does not carry the
// Kubernetes API types.
package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// example is the pipeline every deployment here runs.
const example = "../config/examples/scale_out.yaml"

// documents splits a manifest file into its YAML documents.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1)
// the example uses, as KEDA documents it. KEDA's Go types would bring
// its whole controller into this module, and no offline linter knows the
// resource; decoding strictly into this catches misspelt or misplaced
// fields among those used.
type scaledObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		Triggers        []struct {
			Type     string            `json:"type"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// manifests decodes every document of deploy/kubernetes strictly (an
// unknown or misplaced field fails) into its Kubernetes type.
type manifests struct {
	deployments  []appsv1.Deployment
	statefulSets []appsv1.StatefulSet
	services     []corev1.Service
	scaled       []scaledObject
}

func load(t *testing.T) manifests {
	t.Helper()
	files, _ := filepath.Glob("kubernetes/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in kubernetes/")
	}
	var m manifests
	for _, f := range files {
		for i, doc := range documents(t, f) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
			var err error
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				var d appsv1.Deployment
				err = yaml.UnmarshalStrict(doc, &d)
				m.deployments = append(m.deployments, d)
			case "apps/v1 StatefulSet":
				var s appsv1.StatefulSet
				err = yaml.UnmarshalStrict(doc, &s)
				m.statefulSets = append(m.statefulSets, s)
			case "v1 Service":
				var s corev1.Service
				err = yaml.UnmarshalStrict(doc, &s)
				m.services = append(m.services, s)
			case "keda.sh/v1alpha1 ScaledObject":
				var s scaledObject
				err = yaml.UnmarshalStrict(doc, &s)
				m.scaled = append(m.scaled, s)
			default:
				t.Fatalf("%s, document %d: %s %s has no check here; add one", f, i+1, head.APIVersion, head.Kind)
			}
			if err != nil {
				t.Errorf("%s, document %d (%s): %v", f, i+1, head.Kind, err)
			}
		}
	}
	return m
}

// exampleVars are the environment variables the example reads.
func exampleVars(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)[:}]`).FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = true
	}
	return vars
}

// exampleShutdown is the example's shutdown_timeout.
func exampleShutdown(t *testing.T) time.Duration {
	t.Helper()
	b, _ := os.ReadFile(example)
	var conf struct {
		ShutdownTimeout string `json:"shutdown_timeout"`
	}
	if err := yaml.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseDuration(conf.ShutdownTimeout)
	if err != nil {
		t.Fatalf("%s: shutdown_timeout: %v", example, err)
	}
	return d
}

// Every Deployment and StatefulSet runs the example as the Dockerfile's
// image expects: its arguments, the ConfigMap mounted where they point,
// only variables the example reads, the metrics port it serves, and a
// grace period above its shutdown_timeout.
func TestPodsRunTheExample(t *testing.T) {
	m := load(t)
	vars := exampleVars(t)
	shutdown := exampleShutdown(t)
	type workload struct {
		name string
		spec corev1.PodTemplateSpec
	}
	var ws []workload
	for _, d := range m.deployments {
		ws = append(ws, workload{"Deployment " + d.Name, d.Spec.Template})
	}
	for _, s := range m.statefulSets {
		ws = append(ws, workload{"StatefulSet " + s.Name, s.Spec.Template})
		found := false
		for _, svc := range m.services {
			found = found || (svc.Name == s.Spec.ServiceName && svc.Spec.ClusterIP == corev1.ClusterIPNone)
		}
		if !found {
			t.Errorf("StatefulSet %s: no headless Service %q gives its pods their names", s.Name, s.Spec.ServiceName)
		}
	}
	if len(ws) < 2 {
		t.Fatalf("%d workloads; the docs show a Deployment and a StatefulSet", len(ws))
	}
	for _, w := range ws {
		p := w.spec.Spec
		if len(p.Containers) != 1 {
			t.Fatalf("%s: %d containers", w.name, len(p.Containers))
		}
		c := p.Containers[0]
		if got := strings.Join(c.Args, " "); got != "run /etc/ferry/pipeline.yaml" {
			t.Errorf("%s: args %q, want the Dockerfile's default: run /etc/ferry/pipeline.yaml", w.name, got)
		}
		mounted := false
		for _, vm := range c.VolumeMounts {
			for _, v := range p.Volumes {
				if v.Name == vm.Name && vm.MountPath == "/etc/ferry" && v.ConfigMap != nil && v.ConfigMap.Name == "ferry-pipeline" {
					mounted = true
				}
			}
		}
		if !mounted {
			t.Errorf("%s: ConfigMap ferry-pipeline is not mounted at /etc/ferry", w.name)
		}
		port := ""
		for _, e := range c.Env {
			if !vars[e.Name] {
				t.Errorf("%s: sets %s, which %s does not read", w.name, e.Name, example)
			}
			if e.Name == "HTTP_ADDRESS" {
				port = e.Value[strings.LastIndex(e.Value, ":")+1:]
			}
		}
		if port == "" || w.spec.Annotations["prometheus.io/port"] != port {
			t.Errorf("%s: metrics served on port %q, scraped on %q", w.name, port, w.spec.Annotations["prometheus.io/port"])
		}
		if len(c.Ports) == 0 || strconv.Itoa(int(c.Ports[0].ContainerPort)) != port {
			t.Errorf("%s: container ports %+v, metrics served on %q", w.name, c.Ports, port)
		}
		if g := p.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= shutdown {
			t.Errorf("%s: terminationGracePeriodSeconds %v, must exceed the example's shutdown_timeout %v", w.name, g, shutdown)
		}
	}
}

// The KEDA ScaledObject scales a Deployment here on the group's lag.
func TestAutoscalerWatchesLag(t *testing.T) {
	m := load(t)
	if len(m.scaled) == 0 {
		t.Fatal("no ScaledObject")
	}
	for _, s := range m.scaled {
		found := false
		for _, d := range m.deployments {
			found = found || d.Name == s.Spec.ScaleTargetRef.Name
		}
		if !found {
			t.Errorf("ScaledObject %s scales %q, which is no Deployment here", s.Metadata.Name, s.Spec.ScaleTargetRef.Name)
		}
		if s.Spec.MinReplicaCount == nil || s.Spec.MaxReplicaCount == nil || *s.Spec.MinReplicaCount < 1 || *s.Spec.MaxReplicaCount < *s.Spec.MinReplicaCount {
			t.Errorf("ScaledObject %s: replica bounds %v..%v", s.Metadata.Name, s.Spec.MinReplicaCount, s.Spec.MaxReplicaCount)
		}
		for _, tr := range s.Spec.Triggers {
			if tr.Type != "prometheus" || !strings.Contains(tr.Metadata["query"], "kafka_source_lag") || tr.Metadata["serverAddress"] == "" || tr.Metadata["threshold"] == "" {
				t.Errorf("ScaledObject %s: trigger %+v does not read kafka_source_lag from Prometheus", s.Metadata.Name, tr)
			}
		}
	}
}

// systemd accepts the unit: systemd-analyze verify prints nothing for it.
// (It warns, and still exits 0, for a directive it ignores.)
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is needed to check the unit: apt-get install systemd")
	}
	unit, err := os.ReadFile("systemd/ferry@.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart's binary exists: point it at one that
	// does on this machine.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("ExecStart=/usr/local/bin/connect run /etc/ferry/pipeline.yaml")) {
		t.Fatal("the unit's ExecStart is not the documented one")
	}
	unit = bytes.ReplaceAll(unit, []byte("/usr/local/bin/connect"), []byte(self))
	dir := t.TempDir()
	for _, name := range []string{"ferry@.service", "ferry@4195.service"} {
		if err := os.WriteFile(filepath.Join(dir, name), unit, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(analyze, "verify", "--man=no", filepath.Join(dir, "ferry@4195.service")).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	vars := exampleVars(t)
	for _, m := range regexp.MustCompile(`(?m)^Environment=([A-Z_]+)=`).FindAllSubmatch(unit, -1) {
		if !vars[string(m[1])] {
			t.Errorf("the unit sets %s, which %s does not read", m[1], example)
		}
	}
}

// The Dockerfile builds the connect binary from where it lives, and its
// default command is what the pods and the unit run.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`go build .* (\./cmd/\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Dockerfile builds no ./cmd package")
	}
	if _, err := os.Stat(filepath.Join("..", string(m[1]), "main.go")); err != nil {
		t.Errorf("the Dockerfile builds %s: %v", m[1], err)
	}
	if !bytes.Contains(b, []byte(`CMD ["run", "/etc/ferry/pipeline.yaml"]`)) {
		t.Error(`the Dockerfile's default command is not run /etc/ferry/pipeline.yaml`)
	}
}
