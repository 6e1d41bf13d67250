package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestInMemoryChannelSetDefaults(t *testing.T) {
	in := InMemoryChannel{
		ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
		Spec: InMemoryChannelSpec{ChannelableSpec: duckv1.ChannelableSpec{
			SubscribableSpec: duckv1.SubscribableSpec{Subscribers: []duckv1.SubscriberSpec{{
				Delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "s"}}}}}},
			Delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "d"}}},
		}},
	}
	want := InMemoryChannel{
		ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Annotations: map[string]string{SubscribableDuckVersionAnnotation: "v1"}},
		Spec: InMemoryChannelSpec{ChannelableSpec: duckv1.ChannelableSpec{
			SubscribableSpec: duckv1.SubscribableSpec{Subscribers: []duckv1.SubscriberSpec{{
				Delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "s", Namespace: "ns"}}}}}},
			Delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "d", Namespace: "ns"}}},
		}},
	}
	got := in
	got.SetDefaults(ctx)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
}

func TestInMemoryChannelValidate(t *testing.T) {
	u, _ := apis.ParseURL("http://sub")
	tests := []struct {
		name   string
		mutate func(c *InMemoryChannel)
		want   []string
	}{
		{"valid", func(*InMemoryChannel) {}, nil},
		{"subscriber with uri", func(c *InMemoryChannel) {
			c.Spec.Subscribers = []duckv1.SubscriberSpec{{UID: "a", SubscriberURI: u}, {UID: "b", ReplyURI: u}}
		}, nil},
		{"subscriber without uris", func(c *InMemoryChannel) {
			c.Spec.Subscribers = []duckv1.SubscriberSpec{{UID: "a", SubscriberURI: u}, {UID: "b"}}
		}, []string{"spec.subscribers[1]: Required value"}},
		{"bad subscriber delivery", func(c *InMemoryChannel) {
			c.Spec.Subscribers = []duckv1.SubscriberSpec{{SubscriberURI: u, Delivery: &duckv1.DeliverySpec{Retry: duckv1.Int32(-1)}}}
		}, []string{"spec.subscribers[0].delivery.retry: Invalid value"}},
		{"bad delivery", func(c *InMemoryChannel) {
			c.Spec.Delivery = &duckv1.DeliverySpec{BackoffDelay: duckv1.String("1s")}
		}, []string{"spec.delivery.backoffDelay: Invalid value"}},
		{"scope", func(c *InMemoryChannel) { c.Annotations = map[string]string{ScopeAnnotationKey: "cluster"} }, nil},
		{"bad scope", func(c *InMemoryChannel) { c.Annotations = map[string]string{ScopeAnnotationKey: "global"} }, []string{
			"metadata.annotations[eventing.knative.dev/scope]: Invalid value"}},
		{"bad name", func(c *InMemoryChannel) { c.Name = "" }, []string{"metadata.name: Required value"}},
	}
	for _, tt := range tests {
		c := &InMemoryChannel{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}}
		tt.mutate(c)
		got := summarize(c.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestInMemoryChannelLifecycle(t *testing.T) {
	c := &InMemoryChannel{}
	s := &c.Status
	s.InitializeConditions(testNow)
	if s.GetCondition(InMemoryChannelConditionDispatcherReady) != nil {
		t.Error("InitializeConditions set DispatcherReady, which is not part of Ready")
	}
	u, _ := apis.ParseURL("http://c-kn-channel.ns.svc.cluster.local")
	s.MarkServiceTrue(testNow)
	s.MarkEndpointsTrue(testNow)
	s.MarkChannelServiceTrue(testNow)
	s.MarkDeadLetterSinkNotConfigured(testNow)
	s.SetAddress(testNow, &duckv1.Addressable{URL: u})
	s.MarkDispatcherFailed(testNow, "NotReported", "")
	if !c.IsReady() {
		t.Fatalf("IsReady() = false: %+v", s.Conditions)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"service unknown", func() { s.MarkServiceUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"service failed", func() { s.MarkServiceFailed(testNow, "Down", "") }, apis.ConditionFalse},
		{"service back", func() { s.MarkServiceTrue(testNow) }, apis.ConditionTrue},
		{"endpoints unknown", func() { s.MarkEndpointsUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"endpoints failed", func() { s.MarkEndpointsFailed(testNow, "Down", "") }, apis.ConditionFalse},
		{"endpoints back", func() { s.MarkEndpointsTrue(testNow) }, apis.ConditionTrue},
		{"channel service unknown", func() { s.MarkChannelServiceUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"channel service failed", func() { s.MarkChannelServiceFailed(testNow, "Down", "") }, apis.ConditionFalse},
		{"channel service back", func() { s.MarkChannelServiceTrue(testNow) }, apis.ConditionTrue},
		{"dispatcher does not count", func() { s.MarkDispatcherUnknown(testNow, "Wait", ""); s.MarkDispatcherReady(testNow) }, apis.ConditionTrue},
		{"no address", func() { s.SetAddress(testNow, nil) }, apis.ConditionFalse},
		{"address", func() { s.SetAddress(testNow, &duckv1.Addressable{URL: u}) }, apis.ConditionTrue},
		{"dls failed", func() { s.MarkDeadLetterSinkResolvedFailed(testNow, "NotFound", "") }, apis.ConditionFalse},
		{"dls resolved", func() {
			s.MarkDeadLetterSinkResolvedSucceeded(testNow, duckv1.DeliveryStatus{DeadLetterSinkURI: u})
		}, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := s.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if c.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", c.ConditionSet().Happy)
	}
}
