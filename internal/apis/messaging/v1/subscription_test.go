package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validSubscription() *Subscription {
	return &Subscription{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: SubscriptionSpec{
			Channel:    duckv1.KReference{APIVersion: "messaging.knative.dev/v1", Kind: "Channel", Name: "c"},
			Subscriber: &duckv1.Destination{Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "svc"}},
		},
	}
}

func TestSubscriptionSetDefaults(t *testing.T) {
	s := validSubscription()
	s.Spec.Delivery = &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "d"}}}
	want := validSubscription()
	want.Spec.Delivery = &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "d", Namespace: "ns"}}}
	s.SetDefaults(ctx)
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
}

func TestSubscriptionValidate(t *testing.T) {
	u, _ := apis.ParseURL("http://reply.example.com")
	tests := []struct {
		name   string
		mutate func(s *Subscription)
		want   []string
	}{
		{"valid", func(*Subscription) {}, nil},
		{"reply only", func(s *Subscription) {
			s.Spec.Subscriber = nil
			s.Spec.Reply = &duckv1.Destination{URI: u}
		}, nil},
		{"no channel", func(s *Subscription) { s.Spec.Channel = duckv1.KReference{} }, []string{"spec.channel: Required value"}},
		{"channel without kind", func(s *Subscription) { s.Spec.Channel.Kind = "" }, []string{"spec.channel.kind: Required value"}},
		{"channel with namespace", func(s *Subscription) { s.Spec.Channel.Namespace = "other" }, []string{"spec.channel.namespace: Forbidden"}},
		{"neither subscriber nor reply", func(s *Subscription) {
			s.Spec.Subscriber = &duckv1.Destination{}
		}, []string{"spec.subscriber: Required value"}},
		{"bad subscriber", func(s *Subscription) { s.Spec.Subscriber.Ref.Name = "" }, []string{"spec.subscriber.ref.name: Required value"}},
		{"bad reply", func(s *Subscription) {
			s.Spec.Reply = &duckv1.Destination{URI: &apis.URL{Path: "/relative"}}
		}, []string{"spec.reply.uri: Invalid value"}},
		{"bad delivery", func(s *Subscription) {
			s.Spec.Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(-1)}
		}, []string{"spec.delivery.retry: Invalid value"}},
	}
	for _, tt := range tests {
		s := validSubscription()
		tt.mutate(s)
		got := summarize(s.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSubscriptionValidateUpdate(t *testing.T) {
	u, _ := apis.ParseURL("http://reply.example.com")
	tests := []struct {
		name   string
		mutate func(s *Subscription)
		want   []string
	}{
		{"subscriber and reply may change", func(s *Subscription) {
			s.Spec.Subscriber.Ref.Name = "other"
			s.Spec.Reply = &duckv1.Destination{URI: u}
		}, nil},
		{"channel is immutable", func(s *Subscription) { s.Spec.Channel.Name = "other" }, []string{"spec.channel: Forbidden"}},
		{"delivery is immutable", func(s *Subscription) {
			s.Spec.Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(3)}
		}, []string{"spec.delivery: Forbidden"}},
	}
	for _, tt := range tests {
		s := validSubscription()
		tt.mutate(s)
		got := summarize(s.Validate(ctx, validSubscription()))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate(update) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSubscriptionLifecycle(t *testing.T) {
	s := &Subscription{}
	ss := &s.Status
	ss.InitializeConditions(testNow)
	if ss.IsAddedToChannel() || ss.AreReferencesResolved() {
		t.Fatal("fresh status reports progress")
	}
	ss.MarkReferencesResolved(testNow)
	ss.MarkAddedToChannel(testNow)
	ss.MarkChannelReady(testNow)
	if !s.IsReady() || !ss.IsAddedToChannel() || !ss.AreReferencesResolved() {
		t.Fatalf("IsReady() = false: %+v", ss.Conditions)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"references unknown", func() { ss.MarkReferencesResolvedUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"references failed", func() { ss.MarkReferencesNotResolved(testNow, "NotFound", "") }, apis.ConditionFalse},
		{"references back", func() { ss.MarkReferencesResolved(testNow) }, apis.ConditionTrue},
		{"not added", func() { ss.MarkNotAddedToChannel(testNow, "Conflict", "") }, apis.ConditionFalse},
		{"added", func() { ss.MarkAddedToChannel(testNow) }, apis.ConditionTrue},
		{"channel unknown", func() { ss.MarkChannelUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"channel failed", func() { ss.MarkChannelFailed(testNow, "Down", "") }, apis.ConditionFalse},
		{"channel ready", func() { ss.MarkChannelReady(testNow) }, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := ss.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	u, _ := apis.ParseURL("http://svc")
	ss.SetPhysicalSubscription(&duckv1.Addressable{URL: u}, nil, duckv1.DeliveryStatus{DeadLetterSinkURI: u})
	want := SubscriptionStatusPhysicalSubscription{SubscriberURI: u, DeliveryStatus: duckv1.DeliveryStatus{DeadLetterSinkURI: u}}
	if diff := cmp.Diff(want, ss.PhysicalSubscription); diff != "" {
		t.Errorf("SetPhysicalSubscription (-want +got):\n%s", diff)
	}
	if s.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", s.ConditionSet().Happy)
	}
}
