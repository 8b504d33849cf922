package charttest

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const (
	// The API key Secret the tests name; the chart requires one.
	secretArg  = "apiKey.existingSecret=stripe-api-key"
	fullValues = "testdata/full-values.yaml"
	port       = 19550
)

func TestLint(t *testing.T) {
	for name, args := range map[string][]string{
		"default values": {"--set", secretArg},
		"full values":    {"-f", fullValues},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := helm(t, append([]string{"lint", "--strict", chartDir}, args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

func TestDefaultValues(t *testing.T) {
	r := render(t, chartDir, "stripe", "--set", secretArg)
	if got, want := r.kinds(), []string{"Deployment", "Service"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	d := r.objects["Deployment"].(*appsv1.Deployment)
	checkSecurity(t, d)
	c := d.Spec.Template.Spec.Containers[0]
	if want := "stripe_exporter:" + appVersion(t); c.Image != want {
		t.Errorf("image = %q, want %q (the chart's appVersion)", c.Image, want)
	}
	wantArgs := []string{"--stripe.api-key-file=/etc/stripe-exporter/api-key/api-key"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args = %q, want %q", c.Args, wantArgs)
	}
	checkKeyFile(t, d, "stripe-api-key", "api-key")
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/" || p.HTTPGet.Port != intstr.FromString("metrics") {
			t.Errorf("%s probe = %+v, want GET / on the metrics port", name, p)
		}
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
		t.Errorf("resources = %+v, want CPU and memory requests and a memory limit", c.Resources)
	}
	checkService(t, r)
}

func TestFullValues(t *testing.T) {
	r := render(t, chartDir, "full", "-f", fullValues)
	want := []string{"Deployment", "PrometheusRule", "ScrapeConfig", "Service", "ServiceMonitor"}
	if got := r.kinds(); !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	d := r.objects["Deployment"].(*appsv1.Deployment)
	checkSecurity(t, d)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if want := "registry.example.com/stripe_exporter@sha256:" + strings.Repeat("0123456789abcdef", 4); c.Image != want {
		t.Errorf("image = %q, want %q", c.Image, want)
	}
	// probe.enabled turns on discovery, which the values leave off.
	wantArgs := []string{
		"--stripe.api-key-file=/etc/stripe-exporter/api-key/restricted.key",
		"--stripe.account=acct_1Full",
		"--stripe.account=acct_2Full",
		"--stripe.balance-transaction=txn_1Full",
		"--stripe.balance-transaction=acct_1Full/txn_2Full",
		"--collector.payouts",
		"--collector.balance-activity",
		"--discovery.enabled",
		"--probe.rate-limit-share=0.9",
		"--web.config.file=/etc/stripe-exporter/web/web.yml",
		"--stripe.rate-limit=50",
		"--log.format=json",
	}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args:\n got %q\nwant %q", c.Args, wantArgs)
	}
	checkFlagsExist(t, c.Args)
	checkKeyFile(t, d, "stripe-api-key", "restricted.key")
	if !hasMount(pod, "/etc/stripe-exporter/web", "stripe-exporter-web") {
		t.Errorf("no read-only mount of Secret stripe-exporter-web at /etc/stripe-exporter/web: %+v", c.VolumeMounts)
	}
	// / asks for the password once a web config is set.
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet != nil || p.TCPSocket == nil || p.TCPSocket.Port != intstr.FromString("metrics") {
			t.Errorf("%s probe = %+v, want a TCP connection to the metrics port", name, p)
		}
	}
	if pod.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Tolerations) != 1 || pod.Affinity == nil ||
		len(pod.ImagePullSecrets) != 1 || d.Spec.Template.Labels["team"] != "payments" ||
		d.Spec.Template.Annotations["example.com/team"] != "payments" {
		t.Errorf("pod placement, pull secrets, labels or annotations from values missing: %+v", d.Spec.Template)
	}
	svc := checkService(t, r)
	host := svc.Name + "." + namespace + ".svc:19550"

	sm := r.objects["ServiceMonitor"].(*monitoringv1.ServiceMonitor)
	if sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels = %v, want release=prometheus from values", sm.Labels)
	}
	if !selects(sm.Spec.Selector.MatchLabels, svc.Labels) {
		t.Errorf("ServiceMonitor selector %v does not select the Service's labels %v", sm.Spec.Selector.MatchLabels, svc.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %+v, want one", sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != "metrics" || ep.Path != "/metrics" || ep.Interval != "60s" || ep.ScrapeTimeout != "30s" {
		t.Errorf("endpoint = %+v, want port metrics, /metrics, every 60s with a 30s timeout", ep)
	}
	if ep.Scheme == nil || *ep.Scheme != "https" || ep.BasicAuth == nil || ep.TLSConfig == nil {
		t.Errorf("endpoint = %+v, want scheme, basicAuth and tlsConfig from serviceMonitor.endpoint", ep)
	}
	if !setsJob(ep.RelabelConfigs, "stripe") {
		t.Errorf("endpoint relabelings %+v do not name the job stripe, which the alerts watch", ep.RelabelConfigs)
	}

	sc := r.objects["ScrapeConfig"].(*monitoringv1alpha1.ScrapeConfig)
	checkScrapeConfig(t, sc, host)

	checkRules(t, r.objects["PrometheusRule"].(*monitoringv1.PrometheusRule))
}

// checkScrapeConfig checks that connected accounts are discovered from the
// exporter's /discovery and each scraped through its /probe, as
// dashboards/prometheus-probe.yml does.
func checkScrapeConfig(t *testing.T, sc *monitoringv1alpha1.ScrapeConfig, host string) {
	t.Helper()
	s := sc.Spec
	if sc.Labels["release"] != "prometheus" {
		t.Errorf("ScrapeConfig labels = %v, want release=prometheus from values", sc.Labels)
	}
	if s.JobName == nil || *s.JobName != "stripe-accounts" {
		t.Errorf("jobName = %v, want stripe-accounts, which StripeConnectedAccountsFailing watches", s.JobName)
	}
	if s.MetricsPath == nil || *s.MetricsPath != "/probe" || s.ScrapeInterval == nil || *s.ScrapeInterval != "60s" ||
		s.ScrapeTimeout == nil || *s.ScrapeTimeout != "30s" {
		t.Errorf("ScrapeConfig = %+v, want /probe every 60s with a 30s timeout", s)
	}
	if s.Scheme == nil || *s.Scheme != "HTTPS" || s.BasicAuth == nil || s.TLSConfig == nil {
		t.Errorf("ScrapeConfig = %+v, want scheme, basicAuth and tlsConfig from probe.scrapeConfig", s)
	}
	if len(s.HTTPSDConfigs) != 1 {
		t.Fatalf("httpSDConfigs = %+v, want one", s.HTTPSDConfigs)
	}
	sd := s.HTTPSDConfigs[0]
	if want := "https://" + host + "/discovery"; string(sd.URL) != want {
		t.Errorf("discovery URL = %q, want %q", sd.URL, want)
	}
	if sd.BasicAuth == nil || sd.TLSConfig == nil {
		t.Errorf("httpSDConfig = %+v, want basicAuth and tlsConfig from probe.httpSDConfig", sd)
	}
	// The relabelling must turn a discovered account into
	// __param_account=<account>, instance=<account>, __address__=<Service>.
	labels := map[string]string{"__address__": "acct_1Discovered"}
	for _, rc := range s.RelabelConfigs {
		if (rc.Action != "" && rc.Action != "replace") || rc.Regex != "" || rc.Separator != nil {
			t.Fatalf("relabeling %+v: only a replace with the default regex and separator is expected", rc)
		}
		value := rc.Replacement
		if len(rc.SourceLabels) > 0 {
			var vs []string
			for _, l := range rc.SourceLabels {
				vs = append(vs, labels[string(l)])
			}
			if value == nil || *value == "$1" {
				v := strings.Join(vs, ";")
				value = &v
			}
		}
		if value == nil {
			t.Fatalf("relabeling %+v sets nothing", rc)
		}
		labels[rc.TargetLabel] = *value
	}
	want := map[string]string{"__address__": host, "__param_account": "acct_1Discovered", "instance": "acct_1Discovered"}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("a discovered account becomes %v, want %v", labels, want)
	}
}

func TestKeyFromEnv(t *testing.T) {
	r := render(t, chartDir, "stripe", "--set", secretArg, "--set", "apiKey.fromEnv=true")
	d := r.objects["Deployment"].(*appsv1.Deployment)
	checkSecurity(t, d)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	want := []corev1.EnvVar{{Name: "STRIPE_API_KEY", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "stripe-api-key"}, Key: "api-key"},
	}}}
	if !reflect.DeepEqual(c.Env, want) {
		t.Errorf("env = %+v, want only STRIPE_API_KEY from the Secret", c.Env)
	}
	if len(c.Args) != 0 || len(pod.Volumes) != 0 || len(c.VolumeMounts) != 0 {
		t.Errorf("args %q, volumes %+v, mounts %+v: want none with the key in the environment", c.Args, pod.Volumes, c.VolumeMounts)
	}
}

func TestRequiresAPIKeySecret(t *testing.T) {
	_, err := helm(t, "template", "stripe", chartDir)
	if err == nil || !strings.Contains(err.Error(), "apiKey.existingSecret is required") {
		t.Errorf("render without a Secret: err = %v, want one saying apiKey.existingSecret is required", err)
	}
}

// TestSchemaRejectsTypos shows that values.schema.json catches a mistyped
// value instead of letting it be ignored.
func TestSchemaRejectsTypos(t *testing.T) {
	for _, set := range []string{
		"exporter.acounts[0]=acct_1",                       // unknown key
		"exporter.accounts[0]=1Full",                       // not an account ID
		"prometheusRule.thresholds.balanceAvailable.USD=1", // currencies are lower-case, as Stripe sends them
		"serviceMonitor.interval=1 minute",
	} {
		_, err := helm(t, "template", "stripe", chartDir, "--set", secretArg, "--set", set)
		if err == nil || !strings.Contains(err.Error(), "schema") {
			t.Errorf("--set %s: err = %v, want a schema error", set, err)
		}
	}
}

// TestStrictDecodingRejectsTypos shows that the decoding the other tests
// rely on fails on a field Kubernetes would not know, including one that
// differs only in case, which encoding/json alone would accept.
func TestStrictDecodingRejectsTypos(t *testing.T) {
	doc := render(t, chartDir, "stripe", "--set", secretArg).docs["Deployment"]
	if _, _, err := decode(doc); err != nil {
		t.Fatalf("the rendered Deployment itself: %v", err)
	}
	for _, typo := range []struct{ from, to string }{
		{"readOnlyRootFilesystem:", "readOnlyRootFileSystem:"},
		{"allowPrivilegeEscalation:", "allowPrivilegeEscalaton:"},
		{"automountServiceAccountToken:", "automountServiceAccountTokens:"},
	} {
		if !strings.Contains(string(doc), typo.from) {
			t.Fatalf("the rendered Deployment has no %s", typo.from)
		}
		bad := strings.Replace(string(doc), typo.from, typo.to, 1)
		if _, _, err := decode([]byte(bad)); err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(typo.to, ":")) {
			t.Errorf("with %s: err = %v, want one naming the field", typo.to, err)
		}
	}
	dup := strings.Replace(string(doc), "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: true\n            readOnlyRootFilesystem: false", 1)
	if _, _, err := decode([]byte(dup)); err == nil {
		t.Error("a duplicated field decoded without error")
	}
}

// TestPackage checks that helm package follows the rules/ links into
// dashboards/ and that the packaged chart renders as the directory does.
func TestPackage(t *testing.T) {
	dir := t.TempDir()
	if out, err := helm(t, "package", chartDir, "--destination", dir); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pkg := path.Join(dir, "stripe-exporter-"+chartVersion(t)+".tgz")
	files := untar(t, pkg)
	for _, name := range []string{"alerts.yml", "thresholds.yml"} {
		want, err := os.ReadFile(path.Join(repoRoot, "dashboards", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := files["stripe-exporter/rules/"+name]; string(got) != string(want) {
			t.Errorf("packaged rules/%s (%d bytes) differs from dashboards/%s (%d bytes)", name, len(got), name, len(want))
		}
	}
	fromDir := render(t, chartDir, "full", "-f", fullValues)
	fromPkg := render(t, pkg, "full", "-f", fullValues)
	if !reflect.DeepEqual(fromDir.docs, fromPkg.docs) {
		t.Error("the packaged chart renders differently from its directory")
	}
}

// checkSecurity checks what the exporter needs and no more: the image's
// non-root user, a read-only root, no privilege escalation or capabilities,
// the runtime's seccomp profile, no service account token, no Secret in the
// environment but the key when apiKey.fromEnv asks for it.
func checkSecurity(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || !isTrue(psc.RunAsNonRoot) || !is(psc.RunAsUser, 65532) || !is(psc.RunAsGroup, 65532) || !is(psc.FSGroup, 65532) ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want non-root 65532 with fsGroup 65532 and seccomp RuntimeDefault", psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is not false: the exporter never calls the Kubernetes API")
	}
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
		t.Fatalf("want one container, got %d and %d init containers", len(pod.Containers), len(pod.InitContainers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || !isTrue(sc.RunAsNonRoot) || !isTrue(sc.ReadOnlyRootFilesystem) || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		isTrue(sc.Privileged) || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
		t.Errorf("container securityContext = %+v, want non-root, read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	if len(c.EnvFrom) != 0 {
		t.Errorf("envFrom = %+v: would put Secrets in the environment", c.EnvFrom)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "metrics" || c.Ports[0].ContainerPort != port {
		t.Errorf("ports = %+v, want metrics on %d", c.Ports, port)
	}
}

// checkKeyFile checks that no environment variable is set, and that
// --stripe.api-key-file names a file of a read-only mount of the Secret's
// key, readable by fsGroup and nobody else but root.
func checkKeyFile(t *testing.T, d *appsv1.Deployment, secret, key string) {
	t.Helper()
	pod := d.Spec.Template.Spec
	for _, e := range pod.Containers[0].Env {
		t.Errorf("env %s is set; the key belongs in a file unless apiKey.fromEnv", e.Name)
	}
	var file string
	for _, a := range pod.Containers[0].Args {
		if f, ok := strings.CutPrefix(a, "--stripe.api-key-file="); ok {
			file = f
		}
	}
	if file == "" {
		t.Fatal("no --stripe.api-key-file")
	}
	dir, name := path.Split(file)
	if !hasMount(pod, path.Clean(dir), secret) {
		t.Fatalf("no read-only mount of Secret %s at %s: %+v", secret, dir, pod.Containers[0].VolumeMounts)
	}
	for _, v := range pod.Volumes {
		if s := v.Secret; s != nil && s.SecretName == secret {
			want := []corev1.KeyToPath{{Key: key, Path: name}}
			if !is(s.DefaultMode, 0o440) || !reflect.DeepEqual(s.Items, want) {
				t.Errorf("key volume = %+v, want mode 0440 and item %+v", s, want)
			}
		}
	}
}

// hasMount reports whether the container mounts Secret secret read-only
// at dir.
func hasMount(pod corev1.PodSpec, dir, secret string) bool {
	for _, m := range pod.Containers[0].VolumeMounts {
		if m.MountPath != dir || !m.ReadOnly {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == secret {
				return true
			}
		}
	}
	return false
}

func checkService(t *testing.T, r rendered) *corev1.Service {
	t.Helper()
	svc := r.objects["Service"].(*corev1.Service)
	d := r.objects["Deployment"].(*appsv1.Deployment)
	want := []corev1.ServicePort{{Name: "metrics", Port: port, TargetPort: intstr.FromString("metrics"), Protocol: corev1.ProtocolTCP}}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || !reflect.DeepEqual(svc.Spec.Ports, want) {
		t.Errorf("Service spec = %+v, want ClusterIP with %+v", svc.Spec, want)
	}
	if !selects(svc.Spec.Selector, d.Spec.Template.Labels) || !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("Service selector %v or Deployment selector %v does not select the pod's labels %v",
			svc.Spec.Selector, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	return svc
}

// checkFlagsExist checks each flag against the README's flag table, which
// readme_test.go in the exporter's module keeps equal to the code's flags.
func checkFlagsExist(t *testing.T, args []string) {
	t.Helper()
	readme, err := os.ReadFile(path.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(--[a-z.-]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		flags[m[1]] = true
	}
	for _, a := range args {
		if name, _, _ := strings.Cut(a, "="); !flags[name] {
			t.Errorf("%s is not a flag of the exporter (README's Flags table)", name)
		}
	}
}

// selects reports whether every label of selector is in labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

// setsJob reports whether the relabelings end with the job label set to job.
func setsJob(rcs []monitoringv1.RelabelConfig, job string) bool {
	for _, rc := range slices.Backward(rcs) {
		if rc.TargetLabel == "job" {
			return (rc.Action == "" || rc.Action == "replace") && len(rc.SourceLabels) == 0 && rc.Regex == "" && rc.Replacement != nil && *rc.Replacement == job
		}
	}
	return false
}

// untar returns the files of a gzipped tar archive by name.
func untar(t *testing.T, name string) map[string][]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if files[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatalf("%s: %s: %v", name, h.Name, err)
		}
	}
}

func is[T comparable](p *T, want T) bool { return p != nil && *p == want }
func isTrue(p *bool) bool                { return is(p, true) }

type chartMeta struct {
	Version    string `json:"version"`
	AppVersion string `json:"appVersion"`
}

func readChart(t *testing.T) chartMeta {
	t.Helper()
	b, err := os.ReadFile(path.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c chartMeta
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	return c
}

func appVersion(t *testing.T) string   { return readChart(t).AppVersion }
func chartVersion(t *testing.T) string { return readChart(t).Version }
