package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func svc(name, ns string) *duckv1.KReference {
	return &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: name, Namespace: ns}
}

func imcTemplate() *messagingv1.ChannelTemplateSpec {
	return &messagingv1.ChannelTemplateSpec{TypeMeta: metav1.TypeMeta{APIVersion: "messaging.knative.dev/v1", Kind: "InMemoryChannel"}}
}

func TestSequenceSetDefaults(t *testing.T) {
	in := Sequence{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: SequenceSpec{
			Steps: []SequenceStep{{Destination: duckv1.Destination{Ref: svc("a", "")},
				Delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: svc("d", "")}}}},
			Reply: &duckv1.Destination{Ref: svc("r", "")},
		},
	}
	want := Sequence{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: SequenceSpec{
			Steps: []SequenceStep{{Destination: duckv1.Destination{Ref: svc("a", "ns")},
				Delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: svc("d", "ns")}}}},
			ChannelTemplate: imcTemplate(),
			Reply:           &duckv1.Destination{Ref: svc("r", "ns")},
		},
	}
	got := in
	got.SetDefaults(ctx)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
	other := Sequence{}
	other.SetDefaults(apis.WithConfig(ctx, &apis.Config{}))
	if other.Spec.ChannelTemplate != nil {
		t.Errorf("SetDefaults() without a default channel set %+v", other.Spec.ChannelTemplate)
	}
}

func TestSequenceValidate(t *testing.T) {
	valid := func() *Sequence {
		return &Sequence{
			ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"},
			Spec: SequenceSpec{
				Steps:           []SequenceStep{{Destination: duckv1.Destination{Ref: svc("a", "ns")}}},
				ChannelTemplate: imcTemplate(),
			},
		}
	}
	tests := []struct {
		name   string
		mutate func(s *Sequence)
		want   []string
	}{
		{"valid", func(*Sequence) {}, nil},
		{"no steps", func(s *Sequence) { s.Spec.Steps = nil }, []string{"spec.steps: Required value"}},
		{"empty step", func(s *Sequence) { s.Spec.Steps = append(s.Spec.Steps, SequenceStep{}) }, []string{"spec.steps[1]: Required value"}},
		{"bad step ref", func(s *Sequence) { s.Spec.Steps[0].Ref.Kind = "" }, []string{"spec.steps[0].ref.kind: Required value"}},
		{"bad step delivery", func(s *Sequence) {
			s.Spec.Steps[0].Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(-1)}
		}, []string{"spec.steps[0].delivery.retry: Invalid value"}},
		{"no channel template", func(s *Sequence) { s.Spec.ChannelTemplate = nil }, []string{"spec.channelTemplate: Required value"}},
		{"channel template without kind", func(s *Sequence) { s.Spec.ChannelTemplate.Kind = "" }, []string{"spec.channelTemplate.kind: Required value"}},
		{"bad reply", func(s *Sequence) { s.Spec.Reply = &duckv1.Destination{} }, []string{"spec.reply: Required value"}},
		{"dotted name", func(s *Sequence) { s.Name = "a.b" }, []string{"metadata.name: Invalid value"}},
	}
	for _, tt := range tests {
		s := valid()
		tt.mutate(s)
		got := summarize(s.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSequenceLifecycle(t *testing.T) {
	s := &Sequence{}
	ss := &s.Status
	ss.InitializeConditions(testNow)
	u, _ := apis.ParseURL("http://s-kn-sequence-0-kn-channel.ns.svc.cluster.local")
	ready := apis.Status{Conditions: []apis.Condition{{Type: apis.ConditionReady, Status: apis.ConditionTrue}}}
	sa := "sa"
	sub := &messagingv1.Subscription{}
	sub.Name, sub.Namespace = "s-kn-sequence-0", "ns"
	sub.Status.Status = ready
	sub.Status.Auth = &duckv1.AuthStatus{ServiceAccountName: &sa}
	ch := &duckv1.Channelable{}
	ch.APIVersion, ch.Kind, ch.Name = "messaging.knative.dev/v1", "InMemoryChannel", "s-kn-sequence-0"
	ch.Status.Status = ready
	ch.Status.Address = &duckv1.Addressable{URL: u}

	ss.PropagateSubscriptionStatuses(testNow, []*messagingv1.Subscription{sub})
	ss.PropagateChannelStatuses(testNow, []*duckv1.Channelable{ch})
	if !s.IsReady() {
		t.Fatalf("IsReady() = false: %+v", ss.Conditions)
	}
	if ss.Address.URL != u {
		t.Errorf("address = %v, want %v", ss.Address.URL, u)
	}
	if got := ss.SubscriptionStatuses[0].Subscription; got.Kind != "Subscription" || got.APIVersion != "messaging.knative.dev/v1" || got.Name != sub.Name {
		t.Errorf("subscription reference = %+v", got)
	}
	if diff := cmp.Diff([]string{"sa"}, ss.Auth.ServiceAccountNames); diff != "" {
		t.Errorf("auth (-want +got):\n%s", diff)
	}

	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"no subscriptions", func() { ss.PropagateSubscriptionStatuses(testNow, nil) }, apis.ConditionUnknown},
		{"subscription without Ready", func() {
			ss.PropagateSubscriptionStatuses(testNow, []*messagingv1.Subscription{{}})
		}, apis.ConditionUnknown},
		{"subscriptions back", func() { ss.PropagateSubscriptionStatuses(testNow, []*messagingv1.Subscription{sub}) }, apis.ConditionTrue},
		{"no channels", func() { ss.PropagateChannelStatuses(testNow, nil) }, apis.ConditionUnknown},
		{"channel without address", func() {
			ss.PropagateChannelStatuses(testNow, []*duckv1.Channelable{{}})
		}, apis.ConditionUnknown},
		{"channels back", func() { ss.PropagateChannelStatuses(testNow, []*duckv1.Channelable{ch}) }, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := ss.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if s.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", s.ConditionSet().Happy)
	}
}
