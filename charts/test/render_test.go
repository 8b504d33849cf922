package charttest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	k8sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	chartDir  = "../stripe-exporter"
	namespace = "monitoring"
)

// newObject gives the Go type each kind the chart renders decodes into; a
// kind not listed fails the test.
var newObject = map[string]func() any{
	"apps/v1 Deployment": func() any { return new(appsv1.Deployment) },
	"v1 Service":         func() any { return new(corev1.Service) },
	"monitoring.coreos.com/v1 ServiceMonitor":     func() any { return new(monitoringv1.ServiceMonitor) },
	"monitoring.coreos.com/v1 PrometheusRule":     func() any { return new(monitoringv1.PrometheusRule) },
	"monitoring.coreos.com/v1alpha1 ScrapeConfig": func() any { return new(monitoringv1alpha1.ScrapeConfig) },
}

// rendered holds what one helm template run gave: each object by kind,
// and each object's YAML.
type rendered struct {
	objects map[string]any
	docs    map[string][]byte
}

func (r rendered) kinds() []string {
	var ks []string
	for k := range r.objects {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// helm runs helm with args and returns its standard output, or its
// standard error as the error.
func helm(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmPath(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// render runs helm template on chart (a directory or a packaged chart) as
// release, with args such as --set or -f, and decodes every object
// strictly.
func render(t *testing.T, chart, release string, args ...string) rendered {
	t.Helper()
	out, err := helm(t, append([]string{"template", release, chart, "--namespace", namespace}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	r := rendered{objects: map[string]any{}, docs: map[string][]byte{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read helm's output: %v", err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		kind, obj, err := decode(doc)
		if err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if _, dup := r.objects[kind]; dup {
			t.Fatalf("two objects of kind %s", kind)
		}
		r.objects[kind], r.docs[kind] = obj, doc
	}
	return r
}

// stripComments drops the "# Source:" lines helm writes above each object.
func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for line := range bytes.Lines(doc) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			b.Write(line)
		}
	}
	return b.Bytes()
}

// decode decodes one YAML document into the type of its apiVersion and
// kind the way the API server does: case-sensitive, and failing on unknown
// and duplicate fields.
func decode(doc []byte) (string, any, error) {
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return "", nil, fmt.Errorf("decode apiVersion and kind: %w", err)
	}
	kind := meta.APIVersion + " " + meta.Kind
	newObj, ok := newObject[kind]
	if !ok {
		return "", nil, fmt.Errorf("unexpected kind %q", kind)
	}
	obj := newObj()
	if err := decodeStrict(doc, obj); err != nil {
		return "", nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	return meta.Kind, obj, nil
}

func decodeStrict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := k8sjson.UnmarshalStrict(j, into)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}
