package v1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PodTemplateSpec is the metadata and spec of the pods a workload creates.
type PodTemplateSpec struct {
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`
	Spec              PodSpec `json:"spec,omitempty,omitzero"`
}

// PodSpec is the part of a Kubernetes PodSpec that Knative Serving accepts
// without feature flags.
type PodSpec struct {
	// Volumes can be mounted by the containers.
	Volumes []Volume `json:"volumes,omitempty,omitzero"`
	// Containers run together; Knative requires at least one.
	Containers []Container `json:"containers"`
	// ServiceAccountName names the identity the workload runs as.
	ServiceAccountName string `json:"serviceAccountName,omitempty,omitzero"`
	// AutomountServiceAccountToken may only be set to false in Knative.
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken,omitempty,omitzero"`
	// SecurityContext holds pod-wide security settings.
	SecurityContext *PodSecurityContext `json:"securityContext,omitempty,omitzero"`
	// ImagePullSecrets name secrets used to pull images.
	ImagePullSecrets []LocalObjectReference `json:"imagePullSecrets,omitempty,omitzero"`
	// EnableServiceLinks tells whether service environment variables are
	// injected; Knative defaults it to false.
	EnableServiceLinks *bool `json:"enableServiceLinks,omitempty,omitzero"`
}

// Container is a Kubernetes container, with the fields Knative allows.
type Container struct {
	// Name is a DNS label, unique within the pod.
	Name string `json:"name,omitempty"`
	// Image is the container image (in skiff also a local path or ko://).
	Image string `json:"image,omitempty,omitzero"`
	// Command replaces the image's entrypoint.
	Command []string `json:"command,omitempty,omitzero"`
	// Args replace the image's CMD.
	Args []string `json:"args,omitempty,omitzero"`
	// WorkingDir is the working directory of the process.
	WorkingDir string `json:"workingDir,omitempty,omitzero"`
	// Ports lists the ports the container listens on; Knative allows one.
	Ports []ContainerPort `json:"ports,omitempty,omitzero"`
	// EnvFrom imports every key of a ConfigMap or Secret as variables.
	EnvFrom []EnvFromSource `json:"envFrom,omitempty,omitzero"`
	// Env lists environment variables.
	Env []EnvVar `json:"env,omitempty,omitzero"`
	// Resources are compute resource requests and limits.
	Resources ResourceRequirements `json:"resources,omitempty,omitzero"`
	// VolumeMounts mount pod volumes into the container.
	VolumeMounts []VolumeMount `json:"volumeMounts,omitempty,omitzero"`
	// LivenessProbe restarts the container when it fails.
	LivenessProbe *Probe `json:"livenessProbe,omitempty,omitzero"`
	// ReadinessProbe gates traffic to the container.
	ReadinessProbe *Probe `json:"readinessProbe,omitempty,omitzero"`
	// StartupProbe holds off the other probes until it succeeds.
	StartupProbe *Probe `json:"startupProbe,omitempty,omitzero"`
	// TerminationMessagePath is where the container writes its last words.
	TerminationMessagePath string `json:"terminationMessagePath,omitempty,omitzero"`
	// TerminationMessagePolicy is File or FallbackToLogsOnError.
	TerminationMessagePolicy TerminationMessagePolicy `json:"terminationMessagePolicy,omitempty,omitzero"`
	// ImagePullPolicy is Always, Never or IfNotPresent.
	ImagePullPolicy PullPolicy `json:"imagePullPolicy,omitempty,omitzero"`
	// SecurityContext holds per-container security settings.
	SecurityContext *SecurityContext `json:"securityContext,omitempty,omitzero"`
}

// Protocol is a network protocol of a port.
type Protocol string

// The protocols Kubernetes knows.
const (
	ProtocolTCP  Protocol = "TCP"
	ProtocolUDP  Protocol = "UDP"
	ProtocolSCTP Protocol = "SCTP"
)

// ContainerPort is a port a container listens on.
type ContainerPort struct {
	// Name is, in Knative, "", "http1" or "h2c".
	Name string `json:"name,omitempty,omitzero"`
	// ContainerPort is the port number.
	ContainerPort int32 `json:"containerPort"`
	// Protocol defaults to TCP.
	Protocol Protocol `json:"protocol,omitempty,omitzero"`
}

// EnvVar is one environment variable.
type EnvVar struct {
	// Name is the variable's name.
	Name string `json:"name"`
	// Value is the literal value.
	Value string `json:"value,omitempty,omitzero"`
	// ValueFrom takes the value from elsewhere.
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty,omitzero"`
}

// EnvVarSource names where an environment variable's value comes from.
type EnvVarSource struct {
	// FieldRef selects a field of the pod (a Knative feature flag).
	FieldRef *ObjectFieldSelector `json:"fieldRef,omitempty,omitzero"`
	// ResourceFieldRef selects a resource of the container (a Knative
	// feature flag).
	ResourceFieldRef *ResourceFieldSelector `json:"resourceFieldRef,omitempty,omitzero"`
	// ConfigMapKeyRef selects a key of a ConfigMap.
	ConfigMapKeyRef *ConfigMapKeySelector `json:"configMapKeyRef,omitempty,omitzero"`
	// SecretKeyRef selects a key of a Secret.
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty,omitzero"`
}

// ObjectFieldSelector selects a field of an object by path.
type ObjectFieldSelector struct {
	// APIVersion of the schema the path is written in.
	APIVersion string `json:"apiVersion,omitempty,omitzero"`
	// FieldPath is the path of the field, such as metadata.name.
	FieldPath string `json:"fieldPath"`
}

// ResourceFieldSelector selects a resource of a container.
type ResourceFieldSelector struct {
	// ContainerName is the container whose resource is read.
	ContainerName string `json:"containerName,omitempty,omitzero"`
	// Resource is limits.cpu, requests.memory and so on.
	Resource string `json:"resource"`
	// Divisor scales the exposed value.
	Divisor resource.Quantity `json:"divisor,omitempty,omitzero"`
}

// ConfigMapKeySelector selects a key of a ConfigMap.
type ConfigMapKeySelector struct {
	LocalObjectReference `json:",inline"`
	// Key is the key to select.
	Key string `json:"key"`
	// Optional tolerates a missing ConfigMap or key.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// SecretKeySelector selects a key of a Secret.
type SecretKeySelector struct {
	LocalObjectReference `json:",inline"`
	// Key is the key to select.
	Key string `json:"key"`
	// Optional tolerates a missing Secret or key.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// EnvFromSource imports all keys of a ConfigMap or a Secret.
type EnvFromSource struct {
	// Prefix is prepended to every key.
	Prefix string `json:"prefix,omitempty,omitzero"`
	// ConfigMapRef is the ConfigMap to import.
	ConfigMapRef *ConfigMapEnvSource `json:"configMapRef,omitempty,omitzero"`
	// SecretRef is the Secret to import.
	SecretRef *SecretEnvSource `json:"secretRef,omitempty,omitzero"`
}

// ConfigMapEnvSource names a ConfigMap to import.
type ConfigMapEnvSource struct {
	LocalObjectReference `json:",inline"`
	// Optional tolerates a missing ConfigMap.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// SecretEnvSource names a Secret to import.
type SecretEnvSource struct {
	LocalObjectReference `json:",inline"`
	// Optional tolerates a missing Secret.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// Resource names used as keys of a ResourceList.
const (
	ResourceCPU              = "cpu"
	ResourceMemory           = "memory"
	ResourceEphemeralStorage = "ephemeral-storage"
)

// ResourceList maps a resource name (cpu, memory, ...) to a quantity.
type ResourceList map[string]resource.Quantity

// ResourceRequirements are a container's resource requests and limits.
type ResourceRequirements struct {
	// Limits are the most the container may use.
	Limits ResourceList `json:"limits,omitempty,omitzero"`
	// Requests are what the container is guaranteed.
	Requests ResourceList `json:"requests,omitempty,omitzero"`
}

// VolumeMount mounts a volume into a container.
type VolumeMount struct {
	// Name is the volume's name.
	Name string `json:"name"`
	// ReadOnly mounts the volume read-only.
	ReadOnly bool `json:"readOnly,omitempty,omitzero"`
	// MountPath is the absolute path inside the container.
	MountPath string `json:"mountPath"`
	// SubPath mounts a path inside the volume instead of its root.
	SubPath string `json:"subPath,omitempty,omitzero"`
}

// TerminationMessagePolicy tells where a termination message comes from.
type TerminationMessagePolicy string

// The termination message policies.
const (
	TerminationMessageReadFile              TerminationMessagePolicy = "File"
	TerminationMessageFallbackToLogsOnError TerminationMessagePolicy = "FallbackToLogsOnError"
)

// PullPolicy tells when an image is pulled.
type PullPolicy string

// The image pull policies.
const (
	PullAlways       PullPolicy = "Always"
	PullNever        PullPolicy = "Never"
	PullIfNotPresent PullPolicy = "IfNotPresent"
)

// Probe checks a container's health.
type Probe struct {
	ProbeHandler `json:",inline"`
	// InitialDelaySeconds waits before the first probe.
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty,omitzero"`
	// TimeoutSeconds bounds one probe.
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty,omitzero"`
	// PeriodSeconds is the interval; 0 is Knative's aggressive probing.
	PeriodSeconds int32 `json:"periodSeconds,omitempty,omitzero"`
	// SuccessThreshold is the number of successes that make it pass.
	SuccessThreshold int32 `json:"successThreshold,omitempty,omitzero"`
	// FailureThreshold is the number of failures that make it fail.
	FailureThreshold int32 `json:"failureThreshold,omitempty,omitzero"`
	// TerminationGracePeriodSeconds overrides the pod's grace period on a
	// probe failure (Knative does not allow it).
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty,omitzero"`
}

// ProbeHandler is the action of a probe: exactly one must be set.
type ProbeHandler struct {
	// Exec runs a command.
	Exec *ExecAction `json:"exec,omitempty,omitzero"`
	// HTTPGet sends a GET request.
	HTTPGet *HTTPGetAction `json:"httpGet,omitempty,omitzero"`
	// TCPSocket opens a connection.
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty,omitzero"`
	// GRPC calls the gRPC health service.
	GRPC *GRPCAction `json:"grpc,omitempty,omitzero"`
}

// ExecAction runs a command in the container.
type ExecAction struct {
	// Command is the command line, not run in a shell.
	Command []string `json:"command,omitempty,omitzero"`
}

// URIScheme is HTTP or HTTPS.
type URIScheme string

// The probe URI schemes.
const (
	URISchemeHTTP  URIScheme = "HTTP"
	URISchemeHTTPS URIScheme = "HTTPS"
)

// HTTPGetAction is an HTTP GET probe.
type HTTPGetAction struct {
	// Path is the request path.
	Path string `json:"path,omitempty,omitzero"`
	// Port is the port number or name.
	Port intstr.IntOrString `json:"port"`
	// Host overrides the host to connect to.
	Host string `json:"host,omitempty,omitzero"`
	// Scheme is HTTP or HTTPS.
	Scheme URIScheme `json:"scheme,omitempty,omitzero"`
	// HTTPHeaders are sent with the request.
	HTTPHeaders []HTTPHeader `json:"httpHeaders,omitempty,omitzero"`
}

// HTTPHeader is one header of an HTTP probe.
type HTTPHeader struct {
	// Name is the header name.
	Name string `json:"name"`
	// Value is the header value.
	Value string `json:"value"`
}

// TCPSocketAction is a TCP connect probe.
type TCPSocketAction struct {
	// Port is the port number or name.
	Port intstr.IntOrString `json:"port"`
	// Host overrides the host to connect to.
	Host string `json:"host,omitempty,omitzero"`
}

// GRPCAction is a gRPC health check probe.
type GRPCAction struct {
	// Port is the port of the gRPC service.
	Port int32 `json:"port"`
	// Service is the service name in the HealthCheckRequest.
	Service *string `json:"service"`
}

// Capability is a Linux capability name.
type Capability string

// Capabilities are added or dropped Linux capabilities.
type Capabilities struct {
	// Add adds capabilities; Knative allows only NET_BIND_SERVICE.
	Add []Capability `json:"add,omitempty,omitzero"`
	// Drop drops capabilities.
	Drop []Capability `json:"drop,omitempty,omitzero"`
}

// SeccompProfileType is RuntimeDefault, Unconfined or Localhost.
type SeccompProfileType string

// SeccompProfile selects a seccomp profile.
type SeccompProfile struct {
	// Type is the kind of profile.
	Type SeccompProfileType `json:"type"`
	// LocalhostProfile is the profile file for type Localhost.
	LocalhostProfile *string `json:"localhostProfile,omitempty,omitzero"`
}

// SecurityContext holds the container security settings Knative allows.
type SecurityContext struct {
	// Capabilities to add or drop.
	Capabilities *Capabilities `json:"capabilities,omitempty,omitzero"`
	// RunAsUser is the UID of the process.
	RunAsUser *int64 `json:"runAsUser,omitempty,omitzero"`
	// RunAsGroup is the GID of the process.
	RunAsGroup *int64 `json:"runAsGroup,omitempty,omitzero"`
	// RunAsNonRoot refuses to run as UID 0.
	RunAsNonRoot *bool `json:"runAsNonRoot,omitempty,omitzero"`
	// ReadOnlyRootFilesystem mounts the root filesystem read-only.
	ReadOnlyRootFilesystem *bool `json:"readOnlyRootFilesystem,omitempty,omitzero"`
	// AllowPrivilegeEscalation controls no_new_privs.
	AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation,omitempty,omitzero"`
	// SeccompProfile selects a seccomp profile.
	SeccompProfile *SeccompProfile `json:"seccompProfile,omitempty,omitzero"`
}

// PodSecurityContext holds the pod security settings Knative allows without
// the kubernetes.podspec-securitycontext feature flag.
type PodSecurityContext struct {
	// RunAsUser is the UID of every process.
	RunAsUser *int64 `json:"runAsUser,omitempty,omitzero"`
	// RunAsGroup is the GID of every process.
	RunAsGroup *int64 `json:"runAsGroup,omitempty,omitzero"`
	// RunAsNonRoot refuses to run as UID 0.
	RunAsNonRoot *bool `json:"runAsNonRoot,omitempty,omitzero"`
	// SupplementalGroups are extra GIDs.
	SupplementalGroups []int64 `json:"supplementalGroups,omitempty,omitzero"`
	// FSGroup owns the volumes.
	FSGroup *int64 `json:"fsGroup,omitempty,omitzero"`
	// SeccompProfile selects a seccomp profile.
	SeccompProfile *SeccompProfile `json:"seccompProfile,omitempty,omitzero"`
}

// Volume is a named volume of a pod; exactly one source must be set.
type Volume struct {
	// Name is a DNS label, unique within the pod.
	Name         string `json:"name"`
	VolumeSource `json:",inline"`
}

// VolumeSource is the source of a volume.
type VolumeSource struct {
	// Secret populates the volume from a Secret.
	Secret *SecretVolumeSource `json:"secret,omitempty,omitzero"`
	// ConfigMap populates the volume from a ConfigMap.
	ConfigMap *ConfigMapVolumeSource `json:"configMap,omitempty,omitzero"`
	// EmptyDir is a scratch directory.
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty,omitzero"`
	// Projected combines several sources.
	Projected *ProjectedVolumeSource `json:"projected,omitempty,omitzero"`
}

// SecretVolumeSource populates a volume from a Secret.
type SecretVolumeSource struct {
	// SecretName is the Secret in the pod's namespace.
	SecretName string `json:"secretName,omitempty,omitzero"`
	// Items pick keys and their file paths; all keys when empty.
	Items []KeyToPath `json:"items,omitempty,omitzero"`
	// DefaultMode is the file mode (0644 by default).
	DefaultMode *int32 `json:"defaultMode,omitempty,omitzero"`
	// Optional tolerates a missing Secret.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// ConfigMapVolumeSource populates a volume from a ConfigMap.
type ConfigMapVolumeSource struct {
	LocalObjectReference `json:",inline"`
	// Items pick keys and their file paths; all keys when empty.
	Items []KeyToPath `json:"items,omitempty,omitzero"`
	// DefaultMode is the file mode (0644 by default).
	DefaultMode *int32 `json:"defaultMode,omitempty,omitzero"`
	// Optional tolerates a missing ConfigMap.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// StorageMedium is the medium of an emptyDir: "" (disk) or Memory.
type StorageMedium string

// The emptyDir media Knative allows.
const (
	StorageMediumDefault StorageMedium = ""
	StorageMediumMemory  StorageMedium = "Memory"
)

// EmptyDirVolumeSource is a scratch directory that lives as long as the pod.
type EmptyDirVolumeSource struct {
	// Medium is "" for disk or Memory for tmpfs.
	Medium StorageMedium `json:"medium,omitempty,omitzero"`
	// SizeLimit bounds the directory's size.
	SizeLimit *resource.Quantity `json:"sizeLimit,omitempty,omitzero"`
}

// ProjectedVolumeSource combines several sources into one directory.
type ProjectedVolumeSource struct {
	// Sources are the projections.
	Sources []VolumeProjection `json:"sources"`
	// DefaultMode is the file mode.
	DefaultMode *int32 `json:"defaultMode,omitempty,omitzero"`
}

// VolumeProjection is one source of a projected volume; exactly one field
// must be set.
type VolumeProjection struct {
	// Secret projects keys of a Secret.
	Secret *SecretProjection `json:"secret,omitempty,omitzero"`
	// DownwardAPI projects pod fields.
	DownwardAPI *DownwardAPIProjection `json:"downwardAPI,omitempty,omitzero"`
	// ConfigMap projects keys of a ConfigMap.
	ConfigMap *ConfigMapProjection `json:"configMap,omitempty,omitzero"`
	// ServiceAccountToken projects a service account token.
	ServiceAccountToken *ServiceAccountTokenProjection `json:"serviceAccountToken,omitempty,omitzero"`
}

// SecretProjection projects keys of a Secret.
type SecretProjection struct {
	LocalObjectReference `json:",inline"`
	// Items pick keys and their file paths.
	Items []KeyToPath `json:"items,omitempty,omitzero"`
	// Optional tolerates a missing Secret.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// ConfigMapProjection projects keys of a ConfigMap.
type ConfigMapProjection struct {
	LocalObjectReference `json:",inline"`
	// Items pick keys and their file paths.
	Items []KeyToPath `json:"items,omitempty,omitzero"`
	// Optional tolerates a missing ConfigMap.
	Optional *bool `json:"optional,omitempty,omitzero"`
}

// ServiceAccountTokenProjection projects a service account token.
type ServiceAccountTokenProjection struct {
	// Audience is the token's intended audience.
	Audience string `json:"audience,omitempty,omitzero"`
	// ExpirationSeconds is the token's requested lifetime.
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty,omitzero"`
	// Path is the file path relative to the mount point.
	Path string `json:"path"`
}

// DownwardAPIProjection projects pod fields into files.
type DownwardAPIProjection struct {
	// Items are the files.
	Items []DownwardAPIVolumeFile `json:"items,omitempty,omitzero"`
}

// DownwardAPIVolumeFile is one file of a downward API projection.
type DownwardAPIVolumeFile struct {
	// Path is the relative file path.
	Path string `json:"path"`
	// FieldRef selects a pod field.
	FieldRef *ObjectFieldSelector `json:"fieldRef,omitempty,omitzero"`
	// ResourceFieldRef selects a container resource.
	ResourceFieldRef *ResourceFieldSelector `json:"resourceFieldRef,omitempty,omitzero"`
	// Mode is the file mode.
	Mode *int32 `json:"mode,omitempty,omitzero"`
}

// KeyToPath maps a key of a ConfigMap or Secret to a file path.
type KeyToPath struct {
	// Key is the key to project.
	Key string `json:"key"`
	// Path is the relative file path.
	Path string `json:"path"`
	// Mode is the file mode.
	Mode *int32 `json:"mode,omitempty,omitzero"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name is the referent's name.
	Name string `json:"name,omitempty,omitzero"`
}

// ObjectReference points at any object.
type ObjectReference struct {
	// Kind of the referent.
	Kind string `json:"kind,omitempty,omitzero"`
	// Namespace of the referent.
	Namespace string `json:"namespace,omitempty,omitzero"`
	// Name of the referent.
	Name string `json:"name,omitempty,omitzero"`
	// UID of the referent.
	UID types.UID `json:"uid,omitempty,omitzero"`
	// APIVersion of the referent.
	APIVersion string `json:"apiVersion,omitempty,omitzero"`
	// ResourceVersion of the referent.
	ResourceVersion string `json:"resourceVersion,omitempty,omitzero"`
	// FieldPath names a part of the referent.
	FieldPath string `json:"fieldPath,omitempty,omitzero"`
}
