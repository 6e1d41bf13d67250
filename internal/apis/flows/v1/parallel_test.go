package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParallelSetDefaults(t *testing.T) {
	in := Parallel{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: ParallelSpec{
			Branches: []ParallelBranch{{
				Filter:     &duckv1.Destination{Ref: svc("f", "")},
				Subscriber: duckv1.Destination{Ref: svc("s", "")},
				Reply:      &duckv1.Destination{Ref: svc("r", "")},
				Delivery:   &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: svc("d", "")}},
			}},
			Reply: &duckv1.Destination{Ref: svc("pr", "")},
		},
	}
	want := Parallel{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: ParallelSpec{
			Branches: []ParallelBranch{{
				Filter:     &duckv1.Destination{Ref: svc("f", "ns")},
				Subscriber: duckv1.Destination{Ref: svc("s", "ns")},
				Reply:      &duckv1.Destination{Ref: svc("r", "ns")},
				Delivery:   &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: svc("d", "ns")}},
			}},
			ChannelTemplate: imcTemplate(),
			Reply:           &duckv1.Destination{Ref: svc("pr", "ns")},
		},
	}
	got := in
	got.SetDefaults(ctx)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
}

func TestParallelValidate(t *testing.T) {
	valid := func() *Parallel {
		return &Parallel{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
			Spec: ParallelSpec{
				Branches:        []ParallelBranch{{Subscriber: duckv1.Destination{Ref: svc("s", "ns")}}},
				ChannelTemplate: imcTemplate(),
			},
		}
	}
	tests := []struct {
		name   string
		mutate func(p *Parallel)
		want   []string
	}{
		{"valid", func(*Parallel) {}, nil},
		{"no branches", func(p *Parallel) { p.Spec.Branches = nil }, []string{"spec.branches: Required value"}},
		{"no subscriber", func(p *Parallel) { p.Spec.Branches[0].Subscriber = duckv1.Destination{} }, []string{
			"spec.branches[0].subscriber: Required value"}},
		{"bad filter", func(p *Parallel) { p.Spec.Branches[0].Filter = &duckv1.Destination{} }, []string{
			"spec.branches[0].filter: Required value"}},
		{"bad branch reply", func(p *Parallel) { p.Spec.Branches[0].Reply = &duckv1.Destination{Ref: &duckv1.KReference{}} }, []string{
			"spec.branches[0].reply.ref.name: Required value", "spec.branches[0].reply.ref.apiVersion: Required value",
			"spec.branches[0].reply.ref.kind: Required value"}},
		{"bad branch delivery", func(p *Parallel) {
			p.Spec.Branches[0].Delivery = &duckv1.DeliverySpec{Timeout: duckv1.String("5s")}
		}, []string{"spec.branches[0].delivery.timeout: Invalid value"}},
		{"no channel template", func(p *Parallel) { p.Spec.ChannelTemplate = nil }, []string{"spec.channelTemplate: Required value"}},
		{"empty channel template", func(p *Parallel) { p.Spec.ChannelTemplate = &messagingv1.ChannelTemplateSpec{} }, []string{
			"spec.channelTemplate.kind: Required value", "spec.channelTemplate.apiVersion: Required value"}},
		{"bad reply", func(p *Parallel) { p.Spec.Reply = &duckv1.Destination{} }, []string{"spec.reply: Required value"}},
	}
	for _, tt := range tests {
		p := valid()
		tt.mutate(p)
		got := summarize(p.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParallelLifecycle(t *testing.T) {
	p := &Parallel{}
	ps := &p.Status
	ps.InitializeConditions(testNow)
	u, _ := apis.ParseURL("http://p-kn-parallel-kn-channel.ns.svc.cluster.local")
	ready := apis.Status{Conditions: []apis.Condition{{Type: apis.ConditionReady, Status: apis.ConditionTrue}}}
	sub := func(name string) *messagingv1.Subscription {
		s := &messagingv1.Subscription{}
		s.Name = name
		s.Status.Status = ready
		return s
	}
	ch := func(name string, addr bool) *duckv1.Channelable {
		c := &duckv1.Channelable{}
		c.Name = name
		if addr {
			c.Status.Address = &duckv1.Addressable{URL: u}
		}
		return c
	}
	ps.PropagateSubscriptionStatuses(testNow, []*messagingv1.Subscription{sub("f0")}, []*messagingv1.Subscription{sub("s0")})
	ps.PropagateChannelStatuses(testNow, ch("ingress", true), []*duckv1.Channelable{ch("c0", true)})
	if !p.IsReady() {
		t.Fatalf("IsReady() = false: %+v", ps.Conditions)
	}
	if ps.Address == nil || ps.Address.URL != u {
		t.Errorf("address = %+v, want %v", ps.Address, u)
	}
	if got := ps.BranchStatuses[0].FilterSubscriptionStatus.Subscription.Name; got != "f0" {
		t.Errorf("filter subscription = %q, want f0", got)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"branch channel not addressable", func() {
			ps.PropagateChannelStatuses(testNow, ch("ingress", true), []*duckv1.Channelable{ch("c0", false)})
		}, apis.ConditionFalse},
		{"ingress not addressable", func() {
			ps.PropagateChannelStatuses(testNow, ch("ingress", false), []*duckv1.Channelable{ch("c0", true)})
		}, apis.ConditionFalse},
		{"channels back", func() {
			ps.PropagateChannelStatuses(testNow, ch("ingress", true), []*duckv1.Channelable{ch("c0", true)})
		}, apis.ConditionTrue},
		{"missing filter subscription", func() {
			ps.PropagateSubscriptionStatuses(testNow, nil, []*messagingv1.Subscription{sub("s0")})
		}, apis.ConditionFalse},
		{"subscription without Ready", func() {
			ps.PropagateSubscriptionStatuses(testNow, []*messagingv1.Subscription{sub("f0")}, []*messagingv1.Subscription{{}})
		}, apis.ConditionFalse},
		{"subscriptions back", func() {
			ps.PropagateSubscriptionStatuses(testNow, []*messagingv1.Subscription{sub("f0")}, []*messagingv1.Subscription{sub("s0")})
		}, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := ps.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if p.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", p.ConditionSet().Happy)
	}
}
