// Package resources turns a Revision into what the instance pool runs: the
// program, its arguments and environment, and its probes.
package resources

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/runtime"
	"github.com/skiff-sh/skiff/internal/serving/pool"
)

// EnvSource reads the ConfigMaps and Secrets that env refers to.
type EnvSource interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// ErrNotFound is what an EnvSource returns (wrapped) for a missing object.
var ErrNotFound = errors.New("not found")

// EnvError is a problem with the environment of a container, as
// Kubernetes' CreateContainerConfigError.
type EnvError struct{ Msg string }

func (e *EnvError) Error() string { return e.Msg }

// Env builds the container's environment: envFrom first, then env, which
// wins, as Kubernetes orders them.
func Env(ctx context.Context, src EnvSource, ns string, c *corev1.Container) ([]string, error) {
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := src.ConfigMap(ctx, ns, ef.ConfigMapRef.Name)
			if errors.Is(err, ErrNotFound) {
				if ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
					continue
				}
				return nil, &EnvError{Msg: fmt.Sprintf("configmap %q not found", ef.ConfigMapRef.Name)}
			}
			if err != nil {
				return nil, err
			}
			for _, k := range sortedKeys(cm.Data) {
				set(ef.Prefix+k, cm.Data[k])
			}
		case ef.SecretRef != nil:
			s, err := src.Secret(ctx, ns, ef.SecretRef.Name)
			if errors.Is(err, ErrNotFound) {
				if ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					continue
				}
				return nil, &EnvError{Msg: fmt.Sprintf("secret %q not found", ef.SecretRef.Name)}
			}
			if err != nil {
				return nil, err
			}
			for _, k := range sortedKeys(s.Data) {
				set(ef.Prefix+k, string(s.Data[k]))
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, vals))
			continue
		}
		switch {
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			optional := ref.Optional != nil && *ref.Optional
			cm, err := src.ConfigMap(ctx, ns, ref.Name)
			if errors.Is(err, ErrNotFound) {
				if optional {
					continue
				}
				return nil, &EnvError{Msg: fmt.Sprintf("configmap %q not found", ref.Name)}
			}
			if err != nil {
				return nil, err
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, &EnvError{Msg: fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", ref.Key, ns, ref.Name)}
			}
			set(e.Name, v)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			optional := ref.Optional != nil && *ref.Optional
			s, err := src.Secret(ctx, ns, ref.Name)
			if errors.Is(err, ErrNotFound) {
				if optional {
					continue
				}
				return nil, &EnvError{Msg: fmt.Sprintf("secret %q not found", ref.Name)}
			}
			if err != nil {
				return nil, err
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, &EnvError{Msg: fmt.Sprintf("couldn't find key %s in Secret %s/%s", ref.Key, ns, ref.Name)}
			}
			set(e.Name, string(v))
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

// expand replaces $(VAR) with the value of an earlier variable, as
// Kubernetes does; unknown references stay as written and $$ escapes.
func expand(s string, vals map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			if s[i+1] == '$' {
				b.WriteByte('$')
				i++
				continue
			}
			if s[i+1] == '(' {
				if end := strings.IndexByte(s[i:], ')'); end > 0 {
					name := s[i+2 : i+end]
					if v, ok := vals[name]; ok {
						b.WriteString(v)
						i += end
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Command returns the program and arguments of a container whose image
// resolved to executable: the container's command, when set, replaces the
// image's entrypoint (the executable itself), as in Kubernetes.
func Command(executable string, c *corev1.Container) (string, []string, error) {
	if len(c.Command) == 0 {
		return executable, c.Args, nil
	}
	prog := c.Command[0]
	if !filepath.IsAbs(prog) {
		if strings.Contains(prog, "/") {
			prog = filepath.Join(c.WorkingDir, prog)
		} else {
			p, err := exec.LookPath(prog)
			if err != nil {
				return "", nil, fmt.Errorf("command %q: %w", prog, err)
			}
			prog = p
		}
	}
	return prog, append(append([]string(nil), c.Command[1:]...), c.Args...), nil
}

// Probe converts a Kubernetes probe. A nil probe, or Knative's default
// (TCP on the container port, periodSeconds 0), is the runtime's
// aggressive TCP probe.
func Probe(p *corev1.Probe) *runtime.Probe {
	if p == nil {
		return nil
	}
	out := &runtime.Probe{
		InitialDelay:     time.Duration(p.InitialDelaySeconds) * time.Second,
		Period:           time.Duration(p.PeriodSeconds) * time.Second,
		Timeout:          time.Duration(p.TimeoutSeconds) * time.Second,
		SuccessThreshold: int(p.SuccessThreshold),
		FailureThreshold: int(p.FailureThreshold),
	}
	switch {
	case p.HTTPGet != nil:
		out.Handler = runtime.ProbeHTTP
		out.Path, out.Host = p.HTTPGet.Path, p.HTTPGet.Host
		out.Port = p.HTTPGet.Port.IntValue()
		if p.HTTPGet.Scheme == corev1.URISchemeHTTPS {
			out.Scheme = "https"
		}
		for _, h := range p.HTTPGet.HTTPHeaders {
			if out.Headers == nil {
				out.Headers = map[string]string{}
			}
			out.Headers[h.Name] = h.Value
		}
	case p.Exec != nil:
		out.Handler = runtime.ProbeExec
		out.Command = p.Exec.Command
	case p.GRPC != nil:
		out.Handler = runtime.ProbeGRPC
		out.Port = int(p.GRPC.Port)
	default:
		out.Handler = runtime.ProbeTCP
		if p.TCPSocket != nil {
			out.Port, out.Host = p.TCPSocket.Port.IntValue(), p.TCPSocket.Host
		}
	}
	return out
}

// PoolSpec builds the pool spec of a revision whose serving container runs
// executable with env.
func PoolSpec(rev *servingv1.Revision, executable string, args, env []string) pool.Spec {
	c := rev.Spec.GetContainer()
	spec := pool.Spec{
		Key:           pool.RevisionKey{Namespace: rev.Namespace, Name: rev.Name},
		Service:       rev.Labels[servingv1.ServiceLabelKey],
		Configuration: rev.Labels[servingv1.ConfigurationLabelKey],
		Executable:    executable, Args: args, Env: env, WorkingDir: c.WorkingDir,
	}
	if cc := rev.Spec.ContainerConcurrency; cc != nil {
		spec.ContainerConcurrency = int(*cc)
	}
	if p := Probe(c.ReadinessProbe); p != nil {
		spec.Readiness = *p
	}
	spec.Liveness = Probe(c.LivenessProbe)
	if v := rev.Annotations[servingv1.ProgressDeadlineAnnotationKey]; v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			spec.StartTimeout = d
		}
	}
	return spec
}

// ExpandArgs expands $(VAR) references in args with the container's
// environment, as Kubernetes expands command and args.
func ExpandArgs(args, env []string) []string {
	if len(args) == 0 {
		return args
	}
	vals := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vals[k] = v
		}
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = expand(a, vals)
	}
	return out
}
