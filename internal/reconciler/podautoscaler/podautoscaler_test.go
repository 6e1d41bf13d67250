package podautoscaler

import (
	"testing"

	autoscalingv1alpha1 "github.com/skiff-sh/skiff/internal/apis/autoscaling/v1alpha1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMakePodAutoscaler(t *testing.T) {
	cc := int64(10)
	tests := []struct {
		state servingv1.RoutingState
		want  autoscalingv1alpha1.Reachability
	}{
		{servingv1.RoutingStateActive, autoscalingv1alpha1.ReachabilityReachable},
		{servingv1.RoutingStateReserve, autoscalingv1alpha1.ReachabilityUnreachable},
		{servingv1.RoutingStatePending, autoscalingv1alpha1.ReachabilityUnknown},
	}
	for _, tt := range tests {
		rev := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{
			Name: "hello-00001", Namespace: "default", UID: "r1",
			Labels: map[string]string{servingv1.RoutingStateLabelKey: string(tt.state), servingv1.ServiceLabelKey: "hello", servingv1.ConfigurationLabelKey: "hello"},
			Annotations: map[string]string{
				"autoscaling.knative.dev/min-scale": "2", "autoscaling.knative.dev/window": "6s",
				"serving.knative.dev/routes": "hello",
			},
		}}
		rev.Spec.ContainerConcurrency = &cc
		pa := MakePodAutoscaler(rev)
		if pa.Spec.Reachability != tt.want {
			t.Errorf("MakePodAutoscaler(routing state %q).Spec.Reachability = %q, want %q", tt.state, pa.Spec.Reachability, tt.want)
		}
		if pa.Name != rev.Name || pa.Spec.ScaleTargetRef.Name != rev.Name || pa.Spec.ContainerConcurrency != 10 {
			t.Errorf("MakePodAutoscaler() = %+v", pa)
		}
		if len(pa.Annotations) != 2 || pa.Annotations["autoscaling.knative.dev/min-scale"] != "2" {
			t.Errorf("annotations = %v; want only the two autoscaling ones", pa.Annotations)
		}
		if len(pa.OwnerReferences) != 1 || pa.OwnerReferences[0].UID != "r1" || pa.Labels[servingv1.RevisionLabelKey] != rev.Name {
			t.Errorf("owner %+v labels %v", pa.OwnerReferences, pa.Labels)
		}
		if errs := pa.Validate(nil, nil); len(errs) != 0 {
			t.Errorf("Validate() = %v", errs)
		}
	}
}
