package v1

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// validateSpecJSON decodes a revision spec, defaults it unless raw, and
// validates it.
func validateSpecJSON(t *testing.T, in string, raw bool) field.ErrorList {
	t.Helper()
	r := &Revision{}
	loadString(t, `{"spec":`+in+`}`, r)
	if !raw {
		r.Spec.setDefaults(apis.DefaultConfig(), nil)
	}
	return r.Spec.validate(apis.DefaultConfig(), field.NewPath("spec"))
}

func TestValidatePodSpec(t *testing.T) {
	tests := []struct {
		name string
		in   string
		raw  bool // skip defaulting
		want []string
	}{
		// Containers.
		{name: "one container", in: `{"containers":[{"image":"i"}]}`},
		{name: "no containers", in: `{"containers":[]}`, want: []string{"spec.containers: Required value"}},
		{name: "empty container", in: `{"containers":[{}]}`, raw: true, want: []string{
			"spec.containers[0].image: Required value", "spec.containers[0].name: Required value"}},
		{name: "reserved container name", in: `{"containers":[{"name":"queue-proxy","image":"i"}]}`,
			want: []string{`spec.containers[0].name: Invalid value: "queue-proxy": "queue-proxy" is a reserved container name`}},
		{name: "container name not a DNS label", in: `{"containers":[{"name":"App","image":"i"}]}`,
			want: []string{`spec.containers[0].name: Invalid value: "App"`}},
		{name: "multi-container with one port", in: `{"containers":[{"image":"a","ports":[{"containerPort":8080}]},{"image":"b"}]}`},
		{name: "multi-container without a port", in: `{"containers":[{"image":"a"},{"image":"b"}]}`,
			want: []string{"spec.containers[*].ports: Required value"}},
		{name: "multi-container with two ports", in: `{"containers":[{"image":"a","ports":[{"containerPort":8080}]},{"image":"b","ports":[{"containerPort":8081}]}]}`,
			want: []string{"spec.containers[*].ports: Forbidden: more than one container port is set"}},
		{name: "duplicate container names", in: `{"containers":[{"name":"a","image":"a","ports":[{"containerPort":8080}]},{"name":"a","image":"b"}]}`,
			want: []string{`spec.containers[1].name: Duplicate value: "a"`}},
		{name: "sidecar probes", in: `{"containers":[{"image":"a","ports":[{"containerPort":8080}]},{"image":"b","livenessProbe":{"exec":{"command":["true"]}}}]}`,
			want: []string{"spec.containers[1].livenessProbe: Forbidden: must not set the field(s)"}},
		{name: "sidecar may set PORT", in: `{"containers":[{"image":"a","ports":[{"containerPort":8080}]},{"image":"b","env":[{"name":"PORT","value":"1"}]}]}`},
		{name: "sidecar may not set K_SERVICE", in: `{"containers":[{"image":"a","ports":[{"containerPort":8080}]},{"image":"b","env":[{"name":"K_SERVICE","value":"1"}]}]}`,
			want: []string{`spec.containers[1].env[0].name: Invalid value: "K_SERVICE": "K_SERVICE" is a reserved environment variable`}},

		// Ports.
		{name: "two ports on one container", in: `{"containers":[{"image":"i","ports":[{"containerPort":8080},{"containerPort":8081}]}]}`,
			want: []string{"spec.containers[*].ports: Forbidden: more than one container port is set: Only a single port is allowed across all containers"}},
		{name: "h2c port", in: `{"containers":[{"image":"i","ports":[{"name":"h2c","containerPort":8080}]}]}`},
		{name: "http1 port", in: `{"containers":[{"image":"i","ports":[{"name":"http1","containerPort":8080}]}]}`},
		{name: "bad port name", in: `{"containers":[{"image":"i","ports":[{"name":"grpc","containerPort":8080}]}]}`,
			want: []string{`spec.containers[0].ports[0].name: Unsupported value: "grpc": supported values: "h2c", "http1"`}},
		{name: "udp", in: `{"containers":[{"image":"i","ports":[{"containerPort":8080,"protocol":"UDP"}]}]}`,
			want: []string{`spec.containers[0].ports[0].protocol: Unsupported value: "UDP": supported values: "TCP"`}},
		{name: "port out of range", in: `{"containers":[{"image":"i","ports":[{"containerPort":70000}]}]}`,
			want: []string{"spec.containers[0].ports[0].containerPort: Invalid value: 70000: expected 0 <= 70000 <= 65535"}},
		{name: "reserved port 8012", in: `{"containers":[{"image":"i","ports":[{"containerPort":8012}]}]}`,
			want: []string{"spec.containers[0].ports[0].containerPort: Invalid value: 8012: 8012 is a reserved port, please use a different value"}},
		{name: "reserved port 8013", in: `{"containers":[{"image":"i","ports":[{"containerPort":8013}]}]}`, want: []string{"8013 is a reserved port"}},
		{name: "reserved port 8022", in: `{"containers":[{"image":"i","ports":[{"containerPort":8022}]}]}`, want: []string{"8022 is a reserved port"}},
		{name: "reserved port 9090", in: `{"containers":[{"image":"i","ports":[{"containerPort":9090}]}]}`, want: []string{"9090 is a reserved port"}},
		{name: "reserved port 9091", in: `{"containers":[{"image":"i","ports":[{"containerPort":9091}]}]}`, want: []string{"9091 is a reserved port"}},
		{name: "reserved port 8008", in: `{"containers":[{"image":"i","ports":[{"containerPort":8008}]}]}`, want: []string{"8008 is a reserved port"}},

		// Environment.
		{name: "reserved env PORT", in: `{"containers":[{"image":"i","env":[{"name":"PORT","value":"1"}]}]}`,
			want: []string{`spec.containers[0].env[0].name: Invalid value: "PORT": "PORT" is a reserved environment variable`}},
		{name: "reserved env K_REVISION", in: `{"containers":[{"image":"i","env":[{"name":"K_REVISION","value":"1"}]}]}`,
			want: []string{`"K_REVISION" is a reserved environment variable`}},
		{name: "reserved env K_CONFIGURATION", in: `{"containers":[{"image":"i","env":[{"name":"K_CONFIGURATION"}]}]}`,
			want: []string{`"K_CONFIGURATION" is a reserved environment variable`}},
		{name: "env name required", in: `{"containers":[{"image":"i","env":[{"value":"1"}]}]}`,
			want: []string{"spec.containers[0].env[0].name: Required value"}},
		{name: "fieldRef is behind a feature flag", in: `{"containers":[{"image":"i","env":[{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}`,
			want: []string{"spec.containers[0].env[0].valueFrom.fieldRef: Forbidden: must not set the field(s)"}},
		{name: "secretKeyRef needs a key", in: `{"containers":[{"image":"i","env":[{"name":"N","valueFrom":{"secretKeyRef":{"name":"s"}}}]}]}`,
			want: []string{"spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value"}},
		{name: "envFrom both", in: `{"containers":[{"image":"i","envFrom":[{"configMapRef":{"name":"a"},"secretRef":{"name":"b"}}]}]}`,
			want: []string{"spec.containers[0].envFrom[0]: Forbidden: expected exactly one, got both: configMapRef, secretRef"}},
		{name: "envFrom neither", in: `{"containers":[{"image":"i","envFrom":[{"prefix":"A_"}]}]}`,
			want: []string{"spec.containers[0].envFrom[0]: Required value: expected exactly one, got neither: configMapRef, secretRef"}},

		// Probes.
		{name: "aggressive readiness probe", in: `{"containers":[{"image":"i","readinessProbe":{"httpGet":{"path":"/"},"periodSeconds":0}}]}`},
		{name: "readiness probe with two handlers", in: `{"containers":[{"image":"i","readinessProbe":{"httpGet":{},"exec":{"command":["x"]}}}]}`,
			want: []string{"spec.containers[0].readinessProbe: Forbidden: expected exactly one, got both: httpGet, exec"}},
		{name: "liveness probe without handler", in: `{"containers":[{"image":"i","livenessProbe":{"periodSeconds":1}}]}`,
			want: []string{"spec.containers[0].livenessProbe: Required value: expected exactly one, got neither: httpGet, tcpSocket, exec, grpc"}},
		{name: "probe port must match", in: `{"containers":[{"image":"i","livenessProbe":{"tcpSocket":{"port":"imap"}}}]}`,
			want: []string{`spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: "imap": Probe port must match container port`}},
		{name: "probe port by name", in: `{"containers":[{"image":"i","ports":[{"name":"h2c","containerPort":8080}],"readinessProbe":{"httpGet":{"port":"h2c"}}}]}`},
		{name: "probe port by number", in: `{"containers":[{"image":"i","ports":[{"containerPort":8888}],"livenessProbe":{"tcpSocket":{"port":8888}}}]}`},
		{name: "failureThreshold with periodSeconds 0", in: `{"containers":[{"image":"i","readinessProbe":{"tcpSocket":{},"failureThreshold":3}}]}`,
			want: []string{"spec.containers[0].readinessProbe.failureThreshold: Forbidden: failureThreshold is disallowed when periodSeconds is zero"}},
		{name: "timeoutSeconds with periodSeconds 0", in: `{"containers":[{"image":"i","readinessProbe":{"tcpSocket":{},"timeoutSeconds":3}}]}`,
			want: []string{"spec.containers[0].readinessProbe.timeoutSeconds: Forbidden: timeoutSeconds is disallowed when periodSeconds is zero"}},
		{name: "negative period", in: `{"containers":[{"image":"i","readinessProbe":{"tcpSocket":{},"periodSeconds":-1,"timeoutSeconds":1,"failureThreshold":1}}]}`,
			want: []string{"spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: expected 0 <= -1 <= 2147483647"}},
		{name: "raw probe thresholds", raw: true, in: `{"containers":[{"name":"a","image":"i","readinessProbe":{"tcpSocket":{},"periodSeconds":5,"initialDelaySeconds":-1}}]}`,
			want: []string{
				"readinessProbe.failureThreshold: Invalid value: 0: expected 1 <= 0 <= 2147483647",
				"readinessProbe.initialDelaySeconds: Invalid value: -1: expected 0 <= -1 <= 2147483647",
				"readinessProbe.successThreshold: Invalid value: 0: expected 1 <= 0 <= 2147483647",
				"readinessProbe.timeoutSeconds: Invalid value: 0: expected 1 <= 0 <= 2147483647",
			}},
		{name: "probe grace period", in: `{"containers":[{"image":"i","livenessProbe":{"exec":{"command":["x"]},"terminationGracePeriodSeconds":5}}]}`,
			want: []string{"spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Forbidden"}},
		{name: "startup probe", in: `{"containers":[{"image":"i","startupProbe":{"grpc":{"port":8080},"failureThreshold":30}}]}`},

		// Volumes and mounts.
		{name: "volume not mounted", in: `{"volumes":[{"name":"v","secret":{"secretName":"s"}}],"containers":[{"image":"i"}]}`,
			want: []string{`spec.volumes[0].name: Invalid value: "v": volume with name "v" not mounted`}},
		{name: "mount without volume", in: `{"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{`spec.containers[0].volumeMounts[0].name: Invalid value: "v": volumeMount has no matching volume`}},
		{name: "volume without source", in: `{"volumes":[{"name":"v"}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{"spec.volumes[0]: Required value: expected exactly one, got neither: secret, configMap, projected, emptyDir"}},
		{name: "volume with two sources", in: `{"volumes":[{"name":"v","secret":{"secretName":"s"},"emptyDir":{}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{"spec.volumes[0]: Forbidden: expected exactly one, got both: secret, emptyDir"}},
		{name: "duplicate volumes", in: `{"volumes":[{"name":"v","emptyDir":{}},{"name":"v","emptyDir":{}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{`spec.volumes[1].name: Duplicate value: "v"`}},
		{name: "secret volume needs a name", in: `{"volumes":[{"name":"v","secret":{"items":[{"key":"k"}]}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{"spec.volumes[0].secret.items[0].path: Required value", "spec.volumes[0].secret.secretName: Required value"}},
		{name: "projection needs one source", in: `{"volumes":[{"name":"v","projected":{"sources":[{}]}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{"spec.volumes[0].projected.sources[0]: Required value: expected exactly one"}},
		{name: "emptyDir medium", in: `{"volumes":[{"name":"v","emptyDir":{"medium":"HugePages"}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{`spec.volumes[0].emptyDir.medium: Unsupported value: "HugePages"`}},
		{name: "reserved mount path", in: `{"volumes":[{"name":"v","emptyDir":{}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/dev/"}]}]}`,
			want: []string{`spec.containers[0].volumeMounts[0].mountPath: Invalid value: "/dev/": mountPath "/dev" is a reserved path`}},
		{name: "relative mount path", in: `{"volumes":[{"name":"v","emptyDir":{}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"data"}]}]}`,
			want: []string{`spec.containers[0].volumeMounts[0].mountPath: Invalid value: "data"`}},
		{name: "duplicate mount path", in: `{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}],"containers":[{"image":"i","volumeMounts":[{"name":"v","mountPath":"/d"},{"name":"w","mountPath":"/d/"}]}]}`,
			want: []string{`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d/": "/d/" must be unique`}},
		{name: "writable secret mount", raw: true, in: `{"volumes":[{"name":"v","secret":{"secretName":"s"}}],"containers":[{"name":"a","image":"i","volumeMounts":[{"name":"v","mountPath":"/v"}]}]}`,
			want: []string{"spec.containers[0].volumeMounts[0].readOnly: Invalid value: false: volume mount should be readOnly for this type of volume"}},

		// Pod-level fields.
		{name: "automount token off", in: `{"automountServiceAccountToken":false,"containers":[{"image":"i"}]}`},
		{name: "automount token on", in: `{"automountServiceAccountToken":true,"containers":[{"image":"i"}]}`,
			want: []string{"spec.automountServiceAccountToken: Forbidden: may only be set to false"}},
		{name: "service account name", in: `{"serviceAccountName":"Bad_Name","containers":[{"image":"i"}]}`,
			want: []string{`spec.serviceAccountName: Invalid value: "Bad_Name"`}},
		{name: "pod security context", in: `{"securityContext":{"runAsUser":-1,"supplementalGroups":[1,-2]},"containers":[{"image":"i"}]}`,
			want: []string{
				"spec.securityContext.runAsUser: Invalid value: -1: expected 0 <= -1 <= 2147483647",
				"spec.securityContext.supplementalGroups[1]: Invalid value: -2",
			}},
		{name: "capabilities", in: `{"containers":[{"image":"i","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE","SYS_ADMIN"],"drop":["ALL"]}}}]}`,
			want: []string{`spec.containers[0].securityContext.capabilities.add[1]: Unsupported value: "SYS_ADMIN"`}},
		{name: "termination message policy", in: `{"containers":[{"image":"i","terminationMessagePolicy":"Never"}]}`,
			want: []string{`spec.containers[0].terminationMessagePolicy: Unsupported value: "Never"`}},
		{name: "image pull policy", in: `{"containers":[{"image":"i","imagePullPolicy":"Sometimes"}]}`,
			want: []string{`spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"`}},
	}
	for _, tc := range tests {
		checkErrs(t, tc.name, validateSpecJSON(t, tc.in, tc.raw), tc.want)
	}
}
