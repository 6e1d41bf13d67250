package v1

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestServiceJSONShape(t *testing.T) {
	// A Service as Knative's API server returns it, status included: every
	// field must be known to the types and survive a round trip.
	const in = `{
	  "apiVersion": "serving.knative.dev/v1", "kind": "Service",
	  "metadata": {"name": "hello", "namespace": "default", "generation": 1},
	  "spec": {
	    "template": {"metadata": {"name": "hello-v1"}, "spec": {
	      "containerConcurrency": 0, "timeoutSeconds": 300, "responseStartTimeoutSeconds": 10, "idleTimeoutSeconds": 20,
	      "enableServiceLinks": false, "serviceAccountName": "sa", "automountServiceAccountToken": false,
	      "imagePullSecrets": [{"name": "regcred"}],
	      "containers": [{"name": "user-container", "image": "img", "imagePullPolicy": "IfNotPresent",
	        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
	        "ports": [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}],
	        "readinessProbe": {"successThreshold": 1, "tcpSocket": {"port": 0}}}]}},
	    "traffic": [{"tag": "v1", "revisionName": "hello-v1", "latestRevision": false, "percent": 100}]
	  },
	  "status": {
	    "observedGeneration": 1,
	    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-02T03:04:05Z"}],
	    "latestCreatedRevisionName": "hello-v1", "latestReadyRevisionName": "hello-v1",
	    "url": "http://hello.default.localhost",
	    "address": {"url": "http://hello.default.svc.cluster.local"},
	    "traffic": [{"tag": "v1", "revisionName": "hello-v1", "latestRevision": false, "percent": 100, "url": "http://v1-hello.default.localhost"}]
	  }
	}`
	var s Service
	strict, err := apis.Decode([]byte(in), &s)
	if err != nil || len(strict) > 0 {
		t.Fatalf("Decode() = %v, %v", strict, err)
	}
	if got, want := s.Status.URL.String(), "http://hello.default.localhost"; got != want {
		t.Errorf("Status.URL = %q, want %q", got, want)
	}
	if got, want := s.Status.Address.URL.String(), "http://hello.default.svc.cluster.local"; got != want {
		t.Errorf("Status.Address.URL = %q, want %q", got, want)
	}
	if got, want := s.Status.LatestReadyRevisionName, "hello-v1"; got != want {
		t.Errorf("Status.LatestReadyRevisionName = %q, want %q", got, want)
	}
	if got, want := *s.Spec.Template.Spec.ResponseStartTimeoutSeconds, int64(10); got != want {
		t.Errorf("ResponseStartTimeoutSeconds = %d, want %d", got, want)
	}
	if diff := jsonDiff(t, mustJSON(t, s), in); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestServiceUnknownFields(t *testing.T) {
	// Fields Knative does not allow are unknown to the types, so strict
	// decoding names them.
	const in = `{"spec": {"template": {"spec": {"nodeName": "n", "containers": [{"image": "i", "lifecycle": {}, "stdin": true}]}}}}`
	var s Service
	strict, err := apis.Decode([]byte(in), &s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`unknown field "spec.template.spec.containers[0].lifecycle"`,
		`unknown field "spec.template.spec.containers[0].stdin"`,
		`unknown field "spec.template.spec.nodeName"`,
	}
	slices.Sort(strict)
	if diff := cmp.Diff(want, strict); diff != "" {
		t.Errorf("Decode() unknown fields (-want +got):\n%s", diff)
	}
}
