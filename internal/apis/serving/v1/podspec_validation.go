package v1

import (
	"fmt"
	"math"
	"path"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

// The runtime contract of Knative: the port the user container listens on
// when it names none, and the protocols a port name selects.
const (
	// DefaultUserPort is the container port when none is declared.
	DefaultUserPort = 8080
	// ProtocolHTTP1 is the port name for HTTP/1.1 (also the meaning of "").
	ProtocolHTTP1 = "http1"
	// ProtocolH2C is the port name for HTTP/2 over cleartext (gRPC).
	ProtocolH2C = "h2c"
	// QueueProxyContainerName is the container name Knative reserves.
	QueueProxyContainerName = "queue-proxy"
)

var (
	// reservedEnvVars are set by the runtime for the serving container.
	reservedEnvVars = []string{"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
	// reservedSidecarEnvVars are set for every other container: a sidecar
	// may set PORT.
	reservedSidecarEnvVars = []string{"K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
	// reservedPorts are used by Knative's data plane: queue-proxy's
	// 8012 (HTTP), 8013 (HTTP/2), 8022 (admin), 9090 and 9091 (metrics) and
	// 8008 (profiling).
	reservedPorts = []int32{8012, 8013, 8022, 9090, 9091, 8008}
	// reservedPaths may not be mount paths.
	reservedPaths = []string{"/", "/dev", "/dev/log"}
	// validPortNames select the protocol of the user port.
	validPortNames = []string{"", ProtocolHTTP1, ProtocolH2C}
)

// validatePodSpec applies Knative's rules for the pod spec of a Revision.
func validatePodSpec(ps *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ps.AutomountServiceAccountToken != nil && *ps.AutomountServiceAccountToken {
		// Knative only allows turning the token off.
		errs = append(errs, field.Forbidden(p.Child("automountServiceAccountToken"), "may only be set to false"))
	}
	errs = append(errs, validatePodSecurityContext(ps.SecurityContext, p.Child("securityContext"))...)

	mounted := map[string]bool{}
	for _, c := range ps.Containers {
		for _, vm := range c.VolumeMounts {
			mounted[vm.Name] = true
		}
	}
	volumes, verrs := validateVolumes(ps.Volumes, mounted, p.Child("volumes"))
	errs = append(errs, verrs...)

	port, perrs := validateContainersPorts(ps.Containers, p)
	errs = append(errs, perrs...)

	cp := p.Child("containers")
	switch len(ps.Containers) {
	case 0:
		errs = append(errs, field.Required(cp, ""))
	case 1:
		errs = append(errs, validateServingContainer(&ps.Containers[0], volumes, port, cp.Index(0))...)
	default:
		seen := map[string]bool{}
		for i := range ps.Containers {
			c := &ps.Containers[i]
			if seen[c.Name] {
				errs = append(errs, field.Duplicate(cp.Index(i).Child("name"), c.Name))
			}
			seen[c.Name] = true
			if len(c.Ports) == 0 {
				errs = append(errs, validateSidecarContainer(c, volumes, cp.Index(i))...)
			} else {
				errs = append(errs, validateServingContainer(c, volumes, port, cp.Index(i))...)
			}
		}
	}

	if ps.ServiceAccountName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(ps.ServiceAccountName) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), ps.ServiceAccountName, msg))
		}
	}
	for i, s := range ps.ImagePullSecrets {
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return errs
}

// validateContainersPorts checks that there is a single port across all
// containers (and, with several containers, that one has it) and returns
// it, with the defaults Knative assumes filled in.
func validateContainersPorts(containers []corev1.Container, p *field.Path) (corev1.ContainerPort, field.ErrorList) {
	var count int
	var port corev1.ContainerPort
	for _, c := range containers {
		if n := len(c.Ports); n > 0 {
			count += n
			port = c.Ports[0]
		}
	}
	if port.Name == "" {
		port.Name = "http"
	}
	if port.ContainerPort == 0 {
		port.ContainerPort = DefaultUserPort
	}
	all := p.Child("containers").Key("*").Child("ports")
	if count == 0 && len(containers) > 1 {
		return port, field.ErrorList{field.Required(all, "exactly one container must declare the serving port")}
	}
	if count > 1 {
		return port, field.ErrorList{field.Forbidden(all,
			"more than one container port is set: Only a single port is allowed across all containers")}
	}
	return port, nil
}

// validateServingContainer checks the container that receives requests.
func validateServingContainer(c *corev1.Container, volumes map[string]corev1.Volume, port corev1.ContainerPort, p *field.Path) field.ErrorList {
	errs := validateProbe(c.LivenessProbe, port, p.Child("livenessProbe"))
	errs = append(errs, validateReadinessProbe(c.ReadinessProbe, port, p.Child("readinessProbe"))...)
	errs = append(errs, validateProbe(c.StartupProbe, port, p.Child("startupProbe"))...)
	return append(errs, validateContainer(c, volumes, reservedEnvVars, p)...)
}

// validateSidecarContainer checks a container without a port, which Knative
// does not probe.
func validateSidecarContainer(c *corev1.Container, volumes map[string]corev1.Volume, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.LivenessProbe != nil {
		errs = append(errs, disallowed(p.Child("livenessProbe")))
	}
	if c.ReadinessProbe != nil {
		errs = append(errs, disallowed(p.Child("readinessProbe")))
	}
	if c.StartupProbe != nil {
		errs = append(errs, disallowed(p.Child("startupProbe")))
	}
	return append(errs, validateContainer(c, volumes, reservedSidecarEnvVars, p)...)
}

// validateContainer applies the rules every container shares.
func validateContainer(c *corev1.Container, volumes map[string]corev1.Volume, reservedEnv []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case c.Name == "":
		errs = append(errs, field.Required(p.Child("name"), ""))
	case c.Name == QueueProxyContainerName:
		errs = append(errs, field.Invalid(p.Child("name"), c.Name, fmt.Sprintf("%q is a reserved container name", c.Name)))
	default:
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), c.Name, msg))
		}
	}
	errs = append(errs, validateEnv(c.Env, reservedEnv, p.Child("env"))...)
	errs = append(errs, validateEnvFrom(c.EnvFrom, p.Child("envFrom"))...)
	if c.Image == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	}
	errs = append(errs, validateContainerPorts(c.Ports, p.Child("ports"))...)
	errs = append(errs, validateSecurityContext(c.SecurityContext, p.Child("securityContext"))...)
	switch c.TerminationMessagePolicy {
	case "", corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError:
	default:
		errs = append(errs, field.NotSupported(p.Child("terminationMessagePolicy"), c.TerminationMessagePolicy,
			[]corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}))
	}
	switch c.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullNever, corev1.PullIfNotPresent:
	default:
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy,
			[]corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}))
	}
	return append(errs, validateVolumeMounts(c.VolumeMounts, volumes, p.Child("volumeMounts"))...)
}

func validateEnv(env []corev1.EnvVar, reserved []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, e := range env {
		ep := p.Index(i)
		switch {
		case e.Name == "":
			errs = append(errs, field.Required(ep.Child("name"), ""))
		case slices.Contains(reserved, e.Name):
			errs = append(errs, field.Invalid(ep.Child("name"), e.Name, fmt.Sprintf("%q is a reserved environment variable", e.Name)))
		}
		if vf := e.ValueFrom; vf != nil {
			vp := ep.Child("valueFrom")
			// fieldRef and resourceFieldRef sit behind Knative's
			// kubernetes.podspec-fieldref feature flag, off by default.
			if vf.FieldRef != nil {
				errs = append(errs, disallowed(vp.Child("fieldRef")))
			}
			if vf.ResourceFieldRef != nil {
				errs = append(errs, disallowed(vp.Child("resourceFieldRef")))
			}
			if r := vf.ConfigMapKeyRef; r != nil {
				errs = append(errs, requireNameAndKey(r.Name, r.Key, vp.Child("configMapKeyRef"))...)
			}
			if r := vf.SecretKeyRef; r != nil {
				errs = append(errs, requireNameAndKey(r.Name, r.Key, vp.Child("secretKeyRef"))...)
			}
			if vf.ConfigMapKeyRef != nil && vf.SecretKeyRef != nil {
				errs = append(errs, multipleOneOf(vp, "configMapKeyRef", "secretKeyRef"))
			}
		}
	}
	return errs
}

func requireNameAndKey(name, key string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	}
	return errs
}

func validateEnvFrom(envFrom []corev1.EnvFromSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, ef := range envFrom {
		ep := p.Index(i)
		switch {
		case ef.ConfigMapRef != nil && ef.SecretRef != nil:
			errs = append(errs, multipleOneOf(ep, "configMapRef", "secretRef"))
		case ef.ConfigMapRef == nil && ef.SecretRef == nil:
			errs = append(errs, missingOneOf(ep, "configMapRef", "secretRef"))
		case ef.ConfigMapRef != nil && ef.ConfigMapRef.Name == "":
			errs = append(errs, field.Required(ep.Child("configMapRef", "name"), ""))
		case ef.SecretRef != nil && ef.SecretRef.Name == "":
			errs = append(errs, field.Required(ep.Child("secretRef", "name"), ""))
		}
	}
	return errs
}

// validateContainerPorts checks the first port of a container: the others
// are already rejected by validateContainersPorts.
func validateContainerPorts(ports []corev1.ContainerPort, p *field.Path) field.ErrorList {
	if len(ports) == 0 {
		return nil
	}
	var errs field.ErrorList
	port := ports[0]
	pp := p.Index(0)
	if slices.Contains(reservedPorts, port.ContainerPort) {
		errs = append(errs, field.Invalid(pp.Child("containerPort"), port.ContainerPort,
			fmt.Sprintf("%d is a reserved port, please use a different value", port.ContainerPort)))
	}
	if port.ContainerPort < 0 || port.ContainerPort > 65535 {
		errs = append(errs, outOfBounds(pp.Child("containerPort"), port.ContainerPort, 0, 65535))
	}
	if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
		errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, []corev1.Protocol{corev1.ProtocolTCP}))
	}
	if !slices.Contains(validPortNames, port.Name) {
		errs = append(errs, field.NotSupported(pp.Child("name"), port.Name, []string{ProtocolH2C, ProtocolHTTP1}))
	}
	return errs
}

// validateReadinessProbe adds Knative's readiness rules to validateProbe:
// periodSeconds 0 selects aggressive probing, which owns the timeout and
// failure threshold.
func validateReadinessProbe(pr *corev1.Probe, port corev1.ContainerPort, p *field.Path) field.ErrorList {
	if pr == nil {
		return nil
	}
	errs := validateProbe(pr, port, p)
	if pr.PeriodSeconds < 0 {
		errs = append(errs, outOfBounds(p.Child("periodSeconds"), pr.PeriodSeconds, 0, math.MaxInt32))
	}
	if pr.InitialDelaySeconds < 0 {
		errs = append(errs, outOfBounds(p.Child("initialDelaySeconds"), pr.InitialDelaySeconds, 0, math.MaxInt32))
	}
	if pr.SuccessThreshold < 1 {
		errs = append(errs, outOfBounds(p.Child("successThreshold"), pr.SuccessThreshold, 1, math.MaxInt32))
	}
	if pr.PeriodSeconds == 0 {
		if pr.FailureThreshold != 0 {
			errs = append(errs, field.Forbidden(p.Child("failureThreshold"), "failureThreshold is disallowed when periodSeconds is zero"))
		}
		if pr.TimeoutSeconds != 0 {
			errs = append(errs, field.Forbidden(p.Child("timeoutSeconds"), "timeoutSeconds is disallowed when periodSeconds is zero"))
		}
	} else {
		if pr.TimeoutSeconds < 1 {
			errs = append(errs, outOfBounds(p.Child("timeoutSeconds"), pr.TimeoutSeconds, 1, math.MaxInt32))
		}
		if pr.FailureThreshold < 1 {
			errs = append(errs, outOfBounds(p.Child("failureThreshold"), pr.FailureThreshold, 1, math.MaxInt32))
		}
	}
	return errs
}

// validateProbe checks that a probe has exactly one handler and that a
// named port is the serving port.
func validateProbe(pr *corev1.Probe, port corev1.ContainerPort, p *field.Path) field.ErrorList {
	if pr == nil {
		return nil
	}
	var errs field.ErrorList
	if pr.TerminationGracePeriodSeconds != nil {
		errs = append(errs, disallowed(p.Child("terminationGracePeriodSeconds")))
	}
	var handlers []string
	if h := pr.HTTPGet; h != nil {
		handlers = append(handlers, "httpGet")
		if h.Port.StrVal != "" && h.Port.StrVal != port.Name {
			errs = append(errs, field.Invalid(p.Child("httpGet", "port"), h.Port.String(), "Probe port must match container port"))
		}
	}
	if h := pr.TCPSocket; h != nil {
		handlers = append(handlers, "tcpSocket")
		if h.Port.StrVal != "" && h.Port.StrVal != port.Name {
			errs = append(errs, field.Invalid(p.Child("tcpSocket", "port"), h.Port.String(), "Probe port must match container port"))
		}
	}
	if pr.Exec != nil {
		handlers = append(handlers, "exec")
	}
	if pr.GRPC != nil {
		handlers = append(handlers, "grpc")
	}
	switch len(handlers) {
	case 0:
		errs = append(errs, missingOneOf(p, "httpGet", "tcpSocket", "exec", "grpc"))
	case 1:
	default:
		errs = append(errs, multipleOneOf(p, handlers...))
	}
	return errs
}

func validateSecurityContext(sc *corev1.SecurityContext, p *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	var errs field.ErrorList
	if c := sc.Capabilities; c != nil {
		// Adding capabilities sits behind a feature flag, except the one
		// that lets a process bind low ports.
		for i, a := range c.Add {
			if a != "NET_BIND_SERVICE" {
				errs = append(errs, field.NotSupported(p.Child("capabilities", "add").Index(i), a, []string{"NET_BIND_SERVICE"}))
			}
		}
	}
	errs = append(errs, idBounds(sc.RunAsUser, p.Child("runAsUser"))...)
	return append(errs, idBounds(sc.RunAsGroup, p.Child("runAsGroup"))...)
}

func validatePodSecurityContext(sc *corev1.PodSecurityContext, p *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	errs := idBounds(sc.RunAsUser, p.Child("runAsUser"))
	errs = append(errs, idBounds(sc.RunAsGroup, p.Child("runAsGroup"))...)
	errs = append(errs, idBounds(sc.FSGroup, p.Child("fsGroup"))...)
	for i, g := range sc.SupplementalGroups {
		errs = append(errs, idBounds(&g, p.Child("supplementalGroups").Index(i))...)
	}
	return errs
}

func idBounds(id *int64, p *field.Path) field.ErrorList {
	if id != nil && (*id < 0 || *id > math.MaxInt32) {
		return field.ErrorList{outOfBounds(p, *id, 0, math.MaxInt32)}
	}
	return nil
}

// validateVolumes checks the volumes and returns them by name.
func validateVolumes(vs []corev1.Volume, mounted map[string]bool, p *field.Path) (map[string]corev1.Volume, field.ErrorList) {
	volumes := make(map[string]corev1.Volume, len(vs))
	var errs field.ErrorList
	for i, v := range vs {
		vp := p.Index(i)
		if _, dup := volumes[v.Name]; dup {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		if !mounted[v.Name] {
			errs = append(errs, field.Invalid(vp.Child("name"), v.Name, fmt.Sprintf("volume with name %q not mounted", v.Name)))
		}
		errs = append(errs, validateVolume(&v, vp)...)
		volumes[v.Name] = v
	}
	return volumes, errs
}

func validateVolume(v *corev1.Volume, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if v.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), v.Name, msg))
		}
	}
	var specified []string
	if s := v.Secret; s != nil {
		specified = append(specified, "secret")
		if s.SecretName == "" {
			errs = append(errs, field.Required(p.Child("secret", "secretName"), ""))
		}
		errs = append(errs, validateKeyToPaths(s.Items, p.Child("secret", "items"))...)
	}
	if c := v.ConfigMap; c != nil {
		specified = append(specified, "configMap")
		if c.Name == "" {
			errs = append(errs, field.Required(p.Child("configMap", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(c.Items, p.Child("configMap", "items"))...)
	}
	if pr := v.Projected; pr != nil {
		specified = append(specified, "projected")
		for i := range pr.Sources {
			errs = append(errs, validateProjection(&pr.Sources[i], p.Child("projected", "sources").Index(i))...)
		}
	}
	if e := v.EmptyDir; e != nil {
		specified = append(specified, "emptyDir")
		if e.Medium != corev1.StorageMediumDefault && e.Medium != corev1.StorageMediumMemory {
			errs = append(errs, field.NotSupported(p.Child("emptyDir", "medium"), e.Medium,
				[]corev1.StorageMedium{corev1.StorageMediumDefault, corev1.StorageMediumMemory}))
		}
		if e.SizeLimit != nil && e.SizeLimit.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("emptyDir", "sizeLimit"), e.SizeLimit.String(), "must not be negative"))
		}
	}
	switch len(specified) {
	case 0:
		errs = append(errs, missingOneOf(p, "secret", "configMap", "projected", "emptyDir"))
	case 1:
	default:
		errs = append(errs, multipleOneOf(p, specified...))
	}
	return errs
}

func validateProjection(vp *corev1.VolumeProjection, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var specified []string
	if s := vp.Secret; s != nil {
		specified = append(specified, "secret")
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("secret", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(s.Items, p.Child("secret", "items"))...)
	}
	if c := vp.ConfigMap; c != nil {
		specified = append(specified, "configMap")
		if c.Name == "" {
			errs = append(errs, field.Required(p.Child("configMap", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(c.Items, p.Child("configMap", "items"))...)
	}
	if t := vp.ServiceAccountToken; t != nil {
		specified = append(specified, "serviceAccountToken")
		if t.Path == "" {
			errs = append(errs, field.Required(p.Child("serviceAccountToken", "path"), ""))
		}
	}
	if d := vp.DownwardAPI; d != nil {
		specified = append(specified, "downwardAPI")
		for i, f := range d.Items {
			fp := p.Child("downwardAPI", "items").Index(i)
			switch {
			case f.FieldRef == nil && f.ResourceFieldRef == nil:
				errs = append(errs, missingOneOf(fp, "fieldRef", "resourceFieldRef"))
			case f.FieldRef != nil && f.ResourceFieldRef != nil:
				errs = append(errs, multipleOneOf(fp, "fieldRef", "resourceFieldRef"))
			}
			if f.Path == "" {
				errs = append(errs, field.Required(fp.Child("path"), ""))
			}
		}
	}
	switch len(specified) {
	case 0:
		errs = append(errs, missingOneOf(p, "secret", "configMap", "serviceAccountToken", "downwardAPI"))
	case 1:
	default:
		errs = append(errs, multipleOneOf(p, specified...))
	}
	return errs
}

func validateKeyToPaths(items []corev1.KeyToPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, k := range items {
		if k.Key == "" {
			errs = append(errs, field.Required(p.Index(i).Child("key"), ""))
		}
		if k.Path == "" {
			errs = append(errs, field.Required(p.Index(i).Child("path"), ""))
		}
	}
	return errs
}

func validateVolumeMounts(mounts []corev1.VolumeMount, volumes map[string]corev1.Volume, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seenPath := map[string]bool{}
	for i, vm := range mounts {
		mp := p.Index(i)
		v, ok := volumes[vm.Name]
		if !ok {
			errs = append(errs, field.Invalid(mp.Child("name"), vm.Name, "volumeMount has no matching volume"))
		}
		clean := path.Clean(vm.MountPath)
		switch {
		case vm.MountPath == "":
			errs = append(errs, field.Required(mp.Child("mountPath"), ""))
		case slices.Contains(reservedPaths, clean):
			errs = append(errs, field.Invalid(mp.Child("mountPath"), vm.MountPath, fmt.Sprintf("mountPath %q is a reserved path", clean)))
		case !path.IsAbs(vm.MountPath):
			errs = append(errs, field.Invalid(mp.Child("mountPath"), vm.MountPath, "must be an absolute path"))
		case seenPath[clean]:
			errs = append(errs, field.Invalid(mp.Child("mountPath"), vm.MountPath, fmt.Sprintf("%q must be unique", vm.MountPath)))
		}
		seenPath[clean] = true
		if ok && v.EmptyDir == nil && !vm.ReadOnly {
			errs = append(errs, field.Invalid(mp.Child("readOnly"), vm.ReadOnly, "volume mount should be readOnly for this type of volume"))
		}
	}
	return errs
}
