package deploy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/intake"

// kubeVersion is the cluster version rendered for: Helm's client-only
// default (1.20) is older than the chart's kubeVersion allows.
var kubeVersion = func() *common.KubeVersion {
	v, err := common.ParseKubeVersion("v1.33.0")
	if err != nil {
		panic(err)
	}
	return v
}()

// rendered is what one `helm install --dry-run=client` of the chart
// produces: the release's objects, and its hooks as Helm parsed them.
type rendered struct {
	deployments map[string]*appsv1.Deployment // by component
	services    []*corev1.Service
	secrets     []*corev1.Secret
	hooks       []*release.Hook
	job         *batchv1.Job
	jobHook     *release.Hook
}

// render installs the chart client-only, as `helm install --dry-run=client`
// would, with vals over values.yaml.
func render(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = "intake"
	install.Namespace = "intake"
	install.KubeVersion = kubeVersion
	rel, err := install.Run(chrt, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	r := rendered{deployments: map[string]*appsv1.Deployment{}, hooks: rel.(*release.Release).Hooks}
	for name, doc := range releaseutil.SplitManifests(rel.(*release.Release).Manifest) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch meta.Kind {
		case "Deployment":
			d := decode[appsv1.Deployment](t, doc)
			r.deployments[d.Labels["app.kubernetes.io/component"]] = d
		case "Service":
			r.services = append(r.services, decode[corev1.Service](t, doc))
		case "Secret":
			r.secrets = append(r.secrets, decode[corev1.Secret](t, doc))
		case "":
		default:
			t.Errorf("unexpected %s in the release", meta.Kind)
		}
	}
	for _, h := range r.hooks {
		if h.Kind == "Job" {
			r.job, r.jobHook = decode[batchv1.Job](t, h.Manifest), h
		}
	}
	if r.job == nil {
		t.Fatal("no migration Job among the hooks")
	}
	return r
}

// decode parses doc strictly: a field the type lacks is a mistake in a
// template.
func decode[T any](t *testing.T, doc string) *T {
	t.Helper()
	v := new(T)
	if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return v
}

// pods is every pod template of the release, by component.
func (r rendered) pods() map[string]corev1.PodSpec {
	out := map[string]corev1.PodSpec{"migrate": r.job.Spec.Template.Spec}
	for c, d := range r.deployments {
		out[c] = d.Spec.Template.Spec
	}
	return out
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

// portNumber resolves a probe's port, by name or number, to the
// container's port.
func portNumber(c corev1.Container, p corev1.HTTPGetAction) int32 {
	if p.Port.StrVal == "" {
		return p.Port.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.Port.StrVal {
			return cp.ContainerPort
		}
	}
	return -1
}

func TestChartDeployments(t *testing.T) {
	r := render(t, nil)
	tests := []struct {
		component string
		args      []string
		port      int32
	}{
		{"serve", []string{"serve"}, 8080},
		{"worker", []string{"worker"}, 8090},
	}
	for _, tt := range tests {
		t.Run(tt.component, func(t *testing.T) {
			d := r.deployments[tt.component]
			if d == nil {
				t.Fatalf("no %s Deployment", tt.component)
			}
			cs := d.Spec.Template.Spec.Containers
			if len(cs) != 1 {
				t.Fatalf("%d containers", len(cs))
			}
			c := cs[0]
			if !slices.Equal(c.Args, tt.args) {
				t.Errorf("args %v, want %v", c.Args, tt.args)
			}
			probes := []struct {
				name  string
				probe *corev1.Probe
				path  string
			}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}}
			for _, p := range probes {
				if p.probe == nil || p.probe.HTTPGet == nil {
					t.Errorf("no HTTP %s probe", p.name)
					continue
				}
				if got := p.probe.HTTPGet.Path; got != p.path {
					t.Errorf("%s probe path %s, want %s", p.name, got, p.path)
				}
				if got := portNumber(c, *p.probe.HTTPGet); got != tt.port {
					t.Errorf("%s probe port %d, want %d", p.name, got, tt.port)
				}
			}
			if *d.Spec.Replicas != 2 {
				t.Errorf("replicas %d, want the default 2", *d.Spec.Replicas)
			}
		})
	}
	serve := r.deployments["serve"]
	if len(r.services) != 1 {
		t.Fatalf("%d Services, want serve's", len(r.services))
	}
	svc := r.services[0]
	for k, v := range svc.Spec.Selector {
		if serve.Spec.Template.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which serve's pods lack", k, v)
		}
	}
	if svc.Spec.Selector["app.kubernetes.io/component"] != "serve" {
		t.Errorf("the Service's selector %v is not serve's alone", svc.Spec.Selector)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("Service ports %v, want serve's http port", svc.Spec.Ports)
	}

	// serve and worker must hold the same encryption keys.
	ref := func(component, name string) string {
		e, ok := envOf(r.deployments[component].Spec.Template.Spec.Containers[0])[name]
		if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			return "<not from a Secret>"
		}
		return e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
	}
	tests2 := []struct {
		component, name, want string
	}{
		{"serve", "DATABASE_URL", "intake/DATABASE_URL"},
		{"worker", "DATABASE_URL", "intake/DATABASE_URL"},
		{"serve", "INTAKE_ENCRYPTION_KEYS", "intake/INTAKE_ENCRYPTION_KEYS"},
		{"worker", "INTAKE_ENCRYPTION_KEYS", "intake/INTAKE_ENCRYPTION_KEYS"},
		{"serve", "INTAKE_ADMIN_TOKEN", "intake/INTAKE_ADMIN_TOKEN"},
		{"serve", "INTAKE_REDIS_URL", "intake/INTAKE_REDIS_URL"},
	}
	for _, tt := range tests2 {
		if got := ref(tt.component, tt.name); got != tt.want {
			t.Errorf("%s %s from %s, want %s", tt.component, tt.name, got, tt.want)
		}
	}
	for _, c := range []string{"serve", "worker"} {
		env := envOf(r.deployments[c].Spec.Template.Spec.Containers[0])
		if env["TEMPORAL_ADDRESS"].Value == "" || env["TEMPORAL_NAMESPACE"].Value != "default" {
			t.Errorf("%s: TEMPORAL_ADDRESS %q, TEMPORAL_NAMESPACE %q", c, env["TEMPORAL_ADDRESS"].Value, env["TEMPORAL_NAMESPACE"].Value)
		}
		for name := range env {
			if strings.HasPrefix(name, "TEMPORAL_TLS") || name == "TEMPORAL_API_KEY" {
				t.Errorf("%s has %s without TLS or an API key configured", c, name)
			}
		}
	}
	if got := envOf(r.deployments["worker"].Spec.Template.Spec.Containers[0])["INTAKE_WORKER_ADDR"].Value; got != ":8090" {
		t.Errorf("worker INTAKE_WORKER_ADDR %q, want :8090 (its probes' port)", got)
	}
}

// TestChartContainers: every container of every pod has requests and limits
// and runs as non-root on a read-only root filesystem.
func TestChartContainers(t *testing.T) {
	r := render(t, nil)
	for component, pod := range r.pods() {
		if len(pod.InitContainers) != 0 {
			t.Errorf("%s: init containers are not checked here", component)
		}
		podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
		for _, c := range pod.Containers {
			name := component + "/" + c.Name
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := c.Resources.Requests[res]; !ok || q.IsZero() {
					t.Errorf("%s: no %s request", name, res)
				}
				if q, ok := c.Resources.Limits[res]; !ok || q.IsZero() {
					t.Errorf("%s: no %s limit", name, res)
				}
			}
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s: no securityContext", name)
				continue
			}
			if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
				t.Errorf("%s: may run as root", name)
			}
			if uid := sc.RunAsUser; uid != nil && *uid == 0 {
				t.Errorf("%s: runs as uid 0", name)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: root filesystem is writable", name)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: privilege escalation allowed", name)
			}
		}
	}
}

// TestChartMigrationJob: intake migrate up runs as a pre-install and
// pre-upgrade hook, after any hook Secret, and reads only Secrets the user
// made beforehand.
func TestChartMigrationJob(t *testing.T) {
	r := render(t, nil)
	h := r.jobHook
	if !slices.Contains(h.Events, release.HookPreInstall) || !slices.Contains(h.Events, release.HookPreUpgrade) || len(h.Events) != 2 {
		t.Errorf("the Job's hook events %v, want pre-install and pre-upgrade", h.Events)
	}
	if !slices.Equal(h.DeletePolicies, []release.HookDeletePolicy{release.HookBeforeHookCreation}) {
		t.Errorf("delete policies %v, want before-hook-creation", h.DeletePolicies)
	}
	if _, ok := r.job.Annotations[release.HookWeightAnnotation]; !ok {
		t.Errorf("the Job has no %s", release.HookWeightAnnotation)
	}
	for _, other := range r.hooks {
		if other.Kind == "Secret" && other.Weight >= h.Weight {
			t.Errorf("hook Secret %s weighs %d, not less than the Job's %d: it may not exist when the Job starts", other.Name, other.Weight, h.Weight)
		}
	}
	pod := r.job.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("the Job has %d containers, want 1", len(pod.Containers))
	}
	if args := pod.Containers[0].Args; !slices.Equal(args, []string{"migrate", "up"}) {
		t.Errorf("the Job runs %v, want [migrate up]", args)
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s, want Never (backoffLimit retries)", pod.RestartPolicy)
	}
	db := envOf(pod.Containers[0])["DATABASE_URL"]
	if db.ValueFrom == nil || db.ValueFrom.SecretKeyRef == nil {
		t.Fatal("the Job's DATABASE_URL does not come from a Secret")
	}
	// Secrets the release creates (not as hooks) exist only after the Job:
	// it must read none of them.
	for _, s := range r.secrets {
		if s.Name == db.ValueFrom.SecretKeyRef.Name {
			t.Errorf("the Job reads Secret %s, which the chart creates after it", s.Name)
		}
	}
	if img, want := pod.Containers[0].Image, r.deployments["serve"].Spec.Template.Spec.Containers[0].Image; img != want {
		t.Errorf("the Job runs %s, serve %s: migrations must be those of the version being deployed", img, want)
	}
}

// TestChartOverrides: replicas and Temporal's mTLS and API key from values.
func TestChartOverrides(t *testing.T) {
	r := render(t, map[string]any{
		"serve":  map[string]any{"replicas": 3},
		"worker": map[string]any{"replicas": 3},
		"temporal": map[string]any{
			"address":   "ns.a1b2c.tmprl.cloud:7233",
			"namespace": "ns.a1b2c",
			"apiKey":    map[string]any{"secretName": "temporal-cloud"},
			"tls":       map[string]any{"enabled": true, "secretName": "temporal-mtls", "serverName": "ns.a1b2c.tmprl.cloud"},
		},
		"publicURL":      "https://intake.example.com",
		"trustedProxies": []any{"10.0.0.0/8", "192.168.1.7"},
	})
	for _, component := range []string{"serve", "worker"} {
		t.Run(component, func(t *testing.T) {
			d := r.deployments[component]
			if *d.Spec.Replicas != 3 {
				t.Errorf("replicas %d, want 3", *d.Spec.Replicas)
			}
			pod := d.Spec.Template.Spec
			var vol *corev1.Volume
			for i := range pod.Volumes {
				if s := pod.Volumes[i].Secret; s != nil && s.SecretName == "temporal-mtls" {
					vol = &pod.Volumes[i]
				}
			}
			if vol == nil {
				t.Fatalf("no volume of Secret temporal-mtls: %v", pod.Volumes)
			}
			c := pod.Containers[0]
			var mount *corev1.VolumeMount
			for i := range c.VolumeMounts {
				if c.VolumeMounts[i].Name == vol.Name {
					mount = &c.VolumeMounts[i]
				}
			}
			if mount == nil || !mount.ReadOnly {
				t.Fatalf("the TLS volume is not mounted read-only: %v", c.VolumeMounts)
			}
			env := envOf(c)
			want := map[string]string{
				"TEMPORAL_ADDRESS":                 "ns.a1b2c.tmprl.cloud:7233",
				"TEMPORAL_NAMESPACE":               "ns.a1b2c",
				"TEMPORAL_TLS":                     "true",
				"TEMPORAL_TLS_CLIENT_CERT_PATH":    mount.MountPath + "/tls.crt",
				"TEMPORAL_TLS_CLIENT_KEY_PATH":     mount.MountPath + "/tls.key",
				"TEMPORAL_TLS_SERVER_CA_CERT_PATH": mount.MountPath + "/ca.crt",
				"TEMPORAL_TLS_SERVER_NAME":         "ns.a1b2c.tmprl.cloud",
			}
			for name, v := range want {
				if got := env[name].Value; got != v {
					t.Errorf("%s = %q, want %q", name, got, v)
				}
			}
			if k := env["TEMPORAL_API_KEY"].ValueFrom; k == nil || k.SecretKeyRef == nil || k.SecretKeyRef.Name != "temporal-cloud" || k.SecretKeyRef.Key != "TEMPORAL_API_KEY" {
				t.Errorf("TEMPORAL_API_KEY not from Secret temporal-cloud: %v", env["TEMPORAL_API_KEY"])
			}
		})
	}
	env := envOf(r.deployments["serve"].Spec.Template.Spec.Containers[0])
	if got := env["INTAKE_PUBLIC_URL"].Value; got != "https://intake.example.com" {
		t.Errorf("INTAKE_PUBLIC_URL = %q", got)
	}
	if got := env["INTAKE_TRUSTED_PROXIES"].Value; got != "10.0.0.0/8,192.168.1.7" {
		t.Errorf("INTAKE_TRUSTED_PROXIES = %q", got)
	}
	// The Job needs neither Temporal nor its certificates.
	for _, e := range r.job.Spec.Template.Spec.Containers[0].Env {
		if strings.HasPrefix(e.Name, "TEMPORAL_") {
			t.Errorf("the migration Job gets %s", e.Name)
		}
	}
}

// TestChartLint runs Helm's own linter (helm lint) with the default values
// and with the overrides above; warnings fail too.
func TestChartLint(t *testing.T) {
	for _, vals := range []map[string]any{nil, {"temporal": map[string]any{"tls": map[string]any{"enabled": true}}}} {
		linter := lint.RunAll(chartDir, vals, "intake", lint.WithKubeVersion(kubeVersion))
		for _, m := range linter.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("lint: %v", m)
			} else {
				t.Log(fmt.Sprint("lint: ", m))
			}
		}
	}
}
