package resources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/runtime"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fakeEnv is an EnvSource over maps keyed by "namespace/name".
type fakeEnv struct {
	configMaps map[string]map[string]string
	secrets    map[string]map[string][]byte
	err        error // returned for every lookup when set
}

func (f fakeEnv) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if f.err != nil {
		return nil, f.err
	}
	d, ok := f.configMaps[ns+"/"+name]
	if !ok {
		return nil, fmt.Errorf("configmap %s: %w", name, ErrNotFound)
	}
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: d}, nil
}

func (f fakeEnv) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	if f.err != nil {
		return nil, f.err
	}
	d, ok := f.secrets[ns+"/"+name]
	if !ok {
		return nil, fmt.Errorf("secret %s: %w", name, ErrNotFound)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: d}, nil
}

var _ EnvSource = fakeEnv{}

func ptr[T any](v T) *T { return &v }

func cmKey(name, key string, optional bool) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: ptr(optional),
	}}
}

func secretKey(name, key string, optional bool) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: ptr(optional),
	}}
}

func cmFrom(name, prefix string, optional bool) corev1.EnvFromSource {
	return corev1.EnvFromSource{Prefix: prefix, ConfigMapRef: &corev1.ConfigMapEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Optional: ptr(optional),
	}}
}

func secretFrom(name, prefix string, optional bool) corev1.EnvFromSource {
	return corev1.EnvFromSource{Prefix: prefix, SecretRef: &corev1.SecretEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Optional: ptr(optional),
	}}
}

func TestEnv(t *testing.T) {
	src := fakeEnv{
		configMaps: map[string]map[string]string{
			"ns/cfg":   {"color": "blue", "size": "L"},
			"ns/other": {"color": "red", "shape": "round"},
		},
		secrets: map[string]map[string][]byte{
			"ns/creds": {"password": []byte("hunter2"), "user": []byte("admin")},
		},
	}
	tests := []struct {
		name    string
		env     []corev1.EnvVar
		envFrom []corev1.EnvFromSource
		want    []string
		wantErr string // the EnvError's text; "" for none
	}{{
		name: "plain values in order",
		env:  []corev1.EnvVar{{Name: "B", Value: "2"}, {Name: "A", Value: "1"}, {Name: "EMPTY"}},
		want: []string{"B=2", "A=1", "EMPTY="},
	}, {
		name: "$(VAR) expands earlier variables",
		env: []corev1.EnvVar{
			{Name: "HOST", Value: "db"}, {Name: "PORT", Value: "5432"},
			{Name: "URL", Value: "postgres://$(HOST):$(PORT)/x"},
		},
		want: []string{"HOST=db", "PORT=5432", "URL=postgres://db:5432/x"},
	}, {
		name: "unknown and later references stay as written",
		env: []corev1.EnvVar{
			{Name: "A", Value: "$(NOPE)-$(B)"}, {Name: "B", Value: "b"},
		},
		want: []string{"A=$(NOPE)-$(B)", "B=b"},
	}, {
		name: "$$ escapes and unclosed references",
		env: []corev1.EnvVar{
			{Name: "A", Value: "a"},
			{Name: "ESC", Value: "$$(A)"}, {Name: "OPEN", Value: "$(A"}, {Name: "END", Value: "cost$"},
			{Name: "DOLLARS", Value: "$$$$"},
		},
		want: []string{"A=a", "ESC=$(A)", "OPEN=$(A", "END=cost$", "DOLLARS=$$"},
	}, {
		name:    "references see envFrom values and overrides",
		envFrom: []corev1.EnvFromSource{cmFrom("cfg", "", false)},
		env:     []corev1.EnvVar{{Name: "size", Value: "XL"}, {Name: "DESC", Value: "$(color)/$(size)"}},
		want:    []string{"color=blue", "size=XL", "DESC=blue/XL"},
	}, {
		name: "configMapKeyRef and secretKeyRef present",
		env: []corev1.EnvVar{
			{Name: "COLOR", ValueFrom: cmKey("cfg", "color", false)},
			{Name: "PASS", ValueFrom: secretKey("creds", "password", false)},
		},
		want: []string{"COLOR=blue", "PASS=hunter2"},
	}, {
		name: "valueFrom values are not expanded",
		env: []corev1.EnvVar{
			{Name: "color", Value: "x"},
			{Name: "C", ValueFrom: cmKey("cfg", "color", false)},
		},
		want: []string{"color=x", "C=blue"},
	}, {
		name:    "missing configmap",
		env:     []corev1.EnvVar{{Name: "X", ValueFrom: cmKey("nope", "k", false)}},
		wantErr: `configmap "nope" not found`,
	}, {
		name:    "missing configmap key",
		env:     []corev1.EnvVar{{Name: "X", ValueFrom: cmKey("cfg", "weight", false)}},
		wantErr: "couldn't find key weight in ConfigMap ns/cfg",
	}, {
		name:    "missing secret",
		env:     []corev1.EnvVar{{Name: "X", ValueFrom: secretKey("nope", "k", false)}},
		wantErr: `secret "nope" not found`,
	}, {
		name:    "missing secret key",
		env:     []corev1.EnvVar{{Name: "X", ValueFrom: secretKey("creds", "token", false)}},
		wantErr: "couldn't find key token in Secret ns/creds",
	}, {
		name: "optional references that are missing are skipped",
		env: []corev1.EnvVar{
			{Name: "A", ValueFrom: cmKey("nope", "k", true)},
			{Name: "B", ValueFrom: cmKey("cfg", "weight", true)},
			{Name: "C", ValueFrom: secretKey("nope", "k", true)},
			{Name: "D", ValueFrom: secretKey("creds", "token", true)},
			{Name: "E", Value: "e"},
		},
		want: []string{"E=e"},
	}, {
		name:    "envFrom with prefix, sorted keys, secrets",
		envFrom: []corev1.EnvFromSource{cmFrom("cfg", "APP_", false), secretFrom("creds", "DB_", false)},
		want:    []string{"APP_color=blue", "APP_size=L", "DB_password=hunter2", "DB_user=admin"},
	}, {
		name:    "a later envFrom overrides an earlier one, env overrides both",
		envFrom: []corev1.EnvFromSource{cmFrom("cfg", "", false), cmFrom("other", "", false)},
		env:     []corev1.EnvVar{{Name: "shape", Value: "square"}, {Name: "Z", Value: "z"}},
		want:    []string{"color=red", "size=L", "shape=square", "Z=z"},
	}, {
		name:    "envFrom of a missing configmap",
		envFrom: []corev1.EnvFromSource{cmFrom("nope", "", false)},
		wantErr: `configmap "nope" not found`,
	}, {
		name:    "envFrom of a missing secret",
		envFrom: []corev1.EnvFromSource{secretFrom("nope", "", false)},
		wantErr: `secret "nope" not found`,
	}, {
		name:    "optional envFrom that is missing is skipped",
		envFrom: []corev1.EnvFromSource{cmFrom("nope", "", true), secretFrom("nope", "", true)},
		env:     []corev1.EnvVar{{Name: "A", Value: "a"}},
		want:    []string{"A=a"},
	}}
	for _, tt := range tests {
		c := &corev1.Container{Env: tt.env, EnvFrom: tt.envFrom}
		got, err := Env(context.Background(), src, "ns", c)
		if tt.wantErr != "" {
			var envErr *EnvError
			if !errors.As(err, &envErr) || envErr.Error() != tt.wantErr {
				t.Errorf("%s: Env() error = %v, want EnvError %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Env() error = %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Env() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestEnvSourceError(t *testing.T) {
	boom := errors.New("store down")
	src := fakeEnv{err: boom}
	for _, c := range []*corev1.Container{
		{Env: []corev1.EnvVar{{Name: "A", ValueFrom: cmKey("cfg", "k", true)}}},
		{Env: []corev1.EnvVar{{Name: "A", ValueFrom: secretKey("s", "k", true)}}},
		{EnvFrom: []corev1.EnvFromSource{cmFrom("cfg", "", true)}},
		{EnvFrom: []corev1.EnvFromSource{secretFrom("s", "", true)}},
	} {
		_, err := Env(context.Background(), src, "ns", c)
		var envErr *EnvError
		if !errors.Is(err, boom) || errors.As(err, &envErr) {
			t.Errorf("Env(%+v) error = %v, want %v (not an EnvError: it is not the container's fault)", c, err, boom)
		}
	}
}

func writeExecutable(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommand(t *testing.T) {
	bin := t.TempDir()
	tool := writeExecutable(t, bin, "skiff-test-tool")
	t.Setenv("PATH", bin)

	tests := []struct {
		name     string
		c        corev1.Container
		wantProg string
		wantArgs []string
		wantErr  bool
	}{
		{"no command runs the image with args", corev1.Container{Args: []string{"-v", "x"}}, "/img/app", []string{"-v", "x"}, false},
		{"no command, no args", corev1.Container{}, "/img/app", nil, false},
		{"absolute command overrides the entrypoint", corev1.Container{Command: []string{"/bin/sh", "-c", "echo"}, Args: []string{"hi"}}, "/bin/sh", []string{"-c", "echo", "hi"}, false},
		{"command name looked up in PATH", corev1.Container{Command: []string{"skiff-test-tool"}, Args: []string{"a"}}, tool, []string{"a"}, false},
		{"relative command with a slash is under workingDir", corev1.Container{Command: []string{"./bin/run"}, WorkingDir: "/srv"}, "/srv/bin/run", []string{}, false},
		{"command not in PATH", corev1.Container{Command: []string{"skiff-no-such-tool"}}, "", nil, true},
	}
	for _, tt := range tests {
		prog, args, err := Command("/img/app", &tt.c)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: Command() = %q, %v, want an error", tt.name, prog, args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Command() error = %v", tt.name, err)
			continue
		}
		if prog != tt.wantProg {
			t.Errorf("%s: Command() prog = %q, want %q", tt.name, prog, tt.wantProg)
		}
		if diff := cmp.Diff(tt.wantArgs, args, cmpEmptyNil); diff != "" {
			t.Errorf("%s: Command() args (-want +got):\n%s", tt.name, diff)
		}
	}
}

var cmpEmptyNil = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func TestCommandDoesNotAliasContainer(t *testing.T) {
	c := &corev1.Container{Command: []string{"/bin/sh", "-c"}, Args: []string{"x"}}
	_, args, err := Command("/img/app", c)
	if err != nil {
		t.Fatal(err)
	}
	args[0] = "changed"
	if c.Command[1] != "-c" {
		t.Errorf("Command() args alias the container's command: command = %v", c.Command)
	}
}

func TestProbe(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.Probe
		want *runtime.Probe
	}{{
		name: "nil",
		in:   nil,
		want: nil,
	}, {
		name: "Knative's default TCP probe is aggressive",
		in:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}, SuccessThreshold: 1},
		want: &runtime.Probe{Handler: runtime.ProbeTCP, SuccessThreshold: 1},
	}, {
		name: "empty handler is TCP",
		in:   &corev1.Probe{},
		want: &runtime.Probe{Handler: runtime.ProbeTCP},
	}, {
		name: "tcp with port and host",
		in:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9000), Host: "127.0.0.2"}}},
		want: &runtime.Probe{Handler: runtime.ProbeTCP, Port: 9000, Host: "127.0.0.2"},
	}, {
		name: "httpGet with headers and https",
		in: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: "/healthz", Port: intstr.FromInt32(8443), Host: "localhost", Scheme: corev1.URISchemeHTTPS,
			HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "1"}, {Name: "Host", Value: "app.example"}},
		}}},
		want: &runtime.Probe{
			Handler: runtime.ProbeHTTP, Path: "/healthz", Port: 8443, Host: "localhost", Scheme: "https",
			Headers: map[string]string{"X-Probe": "1", "Host": "app.example"},
		},
	}, {
		name: "httpGet plain http on the default port",
		in:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Scheme: corev1.URISchemeHTTP}}},
		want: &runtime.Probe{Handler: runtime.ProbeHTTP, Path: "/"},
	}, {
		name: "exec",
		in:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/check", "-q"}}}},
		want: &runtime.Probe{Handler: runtime.ProbeExec, Command: []string{"/bin/check", "-q"}},
	}, {
		name: "grpc",
		in:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}},
		want: &runtime.Probe{Handler: runtime.ProbeGRPC, Port: 9090},
	}, {
		name: "period and thresholds",
		in: &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}},
			InitialDelaySeconds: 2, PeriodSeconds: 5, TimeoutSeconds: 3, SuccessThreshold: 2, FailureThreshold: 4,
		},
		want: &runtime.Probe{
			Handler: runtime.ProbeHTTP, Path: "/ready",
			InitialDelay: 2 * time.Second, Period: 5 * time.Second, Timeout: 3 * time.Second,
			SuccessThreshold: 2, FailureThreshold: 4,
		},
	}}
	for _, tt := range tests {
		got := Probe(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Probe(%+v) (-want +got):\n%s", tt.name, tt.in, diff)
		}
	}
}

// TestProbeOfDefaultedRevision checks the whole path: a revision without a
// probe, defaulted as the API server does, gets the aggressive TCP probe.
func TestProbeOfDefaultedRevision(t *testing.T) {
	rev := &servingv1.Revision{Spec: servingv1.RevisionSpec{PodSpec: corev1.PodSpec{
		Containers: []corev1.Container{{Image: "/bin/app"}},
	}}}
	rev.SetDefaults(context.Background())
	got := Probe(rev.Spec.GetContainer().ReadinessProbe)
	want := &runtime.Probe{Handler: runtime.ProbeTCP, SuccessThreshold: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Probe(default readiness) (-want +got):\n%s", diff)
	}
}

func TestPoolSpec(t *testing.T) {
	rev := func(cc *int64, ann map[string]string) *servingv1.Revision {
		return &servingv1.Revision{
			ObjectMeta: metav1.ObjectMeta{
				Name: "hello-00001", Namespace: "ns", Annotations: ann,
				Labels: map[string]string{servingv1.ServiceLabelKey: "hello", servingv1.ConfigurationLabelKey: "hello-cfg"},
			},
			Spec: servingv1.RevisionSpec{
				ContainerConcurrency: cc,
				PodSpec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "sidecar", Image: "/bin/side"},
					{
						Name: "app", Image: "/bin/app", WorkingDir: "/srv",
						Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}},
							PeriodSeconds: 1,
						},
						LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}},
					},
				}},
			},
		}
	}
	base := pool.Spec{
		Key:     pool.RevisionKey{Namespace: "ns", Name: "hello-00001"},
		Service: "hello", Configuration: "hello-cfg",
		Executable: "/bin/app", Args: []string{"a"}, Env: []string{"A=1"}, WorkingDir: "/srv",
		Readiness: runtime.Probe{Handler: runtime.ProbeHTTP, Path: "/ready", Period: time.Second},
		Liveness:  &runtime.Probe{Handler: runtime.ProbeTCP},
	}
	tests := []struct {
		name string
		rev  *servingv1.Revision
		want func(s *pool.Spec)
	}{
		{"no concurrency, no deadline", rev(nil, nil), func(*pool.Spec) {}},
		{"containerConcurrency", rev(ptr[int64](10), nil), func(s *pool.Spec) { s.ContainerConcurrency = 10 }},
		{"containerConcurrency 0 is unbounded", rev(ptr[int64](0), nil), func(*pool.Spec) {}},
		{"progress-deadline", rev(nil, map[string]string{servingv1.ProgressDeadlineAnnotationKey: "45s"}), func(s *pool.Spec) { s.StartTimeout = 45 * time.Second }},
		{"bad progress-deadline is ignored", rev(nil, map[string]string{servingv1.ProgressDeadlineAnnotationKey: "soon"}), func(*pool.Spec) {}},
	}
	for _, tt := range tests {
		want := base
		want.Liveness = &runtime.Probe{Handler: runtime.ProbeTCP}
		tt.want(&want)
		got := PoolSpec(tt.rev, "/bin/app", []string{"a"}, []string{"A=1"})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: PoolSpec() (-want +got):\n%s", tt.name, diff)
		}
	}
}
