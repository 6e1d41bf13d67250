package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func imcTemplate() *ChannelTemplateSpec {
	return &ChannelTemplateSpec{TypeMeta: metav1.TypeMeta{APIVersion: "messaging.knative.dev/v1", Kind: "InMemoryChannel"}}
}

func TestChannelSetDefaults(t *testing.T) {
	kafka := &ChannelTemplateSpec{
		TypeMeta: metav1.TypeMeta{APIVersion: "messaging.knative.dev/v1beta1", Kind: "KafkaChannel"},
		Spec:     &runtime.RawExtension{Raw: []byte(`{"numPartitions":3}`)},
	}
	tests := []struct {
		name string
		cfg  *apis.Config
		in   Channel
		want Channel
	}{{
		name: "default template and annotation",
		in:   Channel{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}},
		want: Channel{
			ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Annotations: map[string]string{SubscribableDuckVersionAnnotation: "v1"}},
			Spec:       ChannelSpec{ChannelTemplate: imcTemplate()},
		},
	}, {
		name: "own template and annotation kept",
		in: Channel{
			ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Annotations: map[string]string{SubscribableDuckVersionAnnotation: "v1beta1"}},
			Spec: ChannelSpec{ChannelTemplate: kafka, ChannelableSpec: duckv1.ChannelableSpec{Delivery: &duckv1.DeliverySpec{
				DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "d"}}}}},
		},
		want: Channel{
			ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Annotations: map[string]string{SubscribableDuckVersionAnnotation: "v1beta1"}},
			Spec: ChannelSpec{ChannelTemplate: kafka, ChannelableSpec: duckv1.ChannelableSpec{Delivery: &duckv1.DeliverySpec{
				DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Name: "d", Namespace: "ns"}}}}},
		},
	}, {
		name: "no default channel configured",
		cfg:  &apis.Config{},
		in:   Channel{ObjectMeta: metav1.ObjectMeta{Name: "c"}},
		want: Channel{ObjectMeta: metav1.ObjectMeta{Name: "c", Annotations: map[string]string{SubscribableDuckVersionAnnotation: "v1"}}},
	}}
	for _, tt := range tests {
		c := ctx
		if tt.cfg != nil {
			c = apis.WithConfig(ctx, tt.cfg)
		}
		got := tt.in
		got.SetDefaults(c)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: SetDefaults() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestChannelValidate(t *testing.T) {
	u, _ := apis.ParseURL("http://sub")
	valid := func() *Channel {
		return &Channel{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}, Spec: ChannelSpec{ChannelTemplate: imcTemplate()}}
	}
	tests := []struct {
		name   string
		mutate func(c *Channel)
		want   []string
	}{
		{"valid", func(*Channel) {}, nil},
		{"no template", func(c *Channel) { c.Spec.ChannelTemplate = nil }, []string{"spec.channelTemplate: Required value"}},
		{"empty template", func(c *Channel) { c.Spec.ChannelTemplate = &ChannelTemplateSpec{} }, []string{
			"spec.channelTemplate.kind: Required value", "spec.channelTemplate.apiVersion: Required value"}},
		{"subscribers", func(c *Channel) {
			c.Spec.Subscribers = []duckv1.SubscriberSpec{{SubscriberURI: u}}
		}, []string{"spec.subscribers: Forbidden"}},
		{"bad delivery", func(c *Channel) {
			c.Spec.Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(-1)}
		}, []string{"spec.delivery.retry: Invalid value"}},
		{"dotted name", func(c *Channel) { c.Name = "a.b" }, []string{"metadata.name: Invalid value"}},
	}
	for _, tt := range tests {
		c := valid()
		tt.mutate(c)
		got := summarize(c.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}

	old := valid()
	c := valid()
	c.Spec.ChannelTemplate = &ChannelTemplateSpec{TypeMeta: metav1.TypeMeta{APIVersion: "messaging.knative.dev/v1beta1", Kind: "KafkaChannel"}}
	c.Spec.Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(1)}
	got := summarize(c.Validate(ctx, old))
	if diff := cmp.Diff([]string{"spec.channelTemplate: Forbidden", "spec.delivery: Forbidden"}, got); diff != "" {
		t.Errorf("Validate(update) (-want +got):\n%s", diff)
	}
	c = valid()
	c.Labels = map[string]string{"x": "y"}
	if errs := c.Validate(ctx, old); len(errs) != 0 {
		t.Errorf("Validate(update of labels) = %v, want none", errs)
	}
}

func TestChannelLifecycle(t *testing.T) {
	c := &Channel{}
	cs := &c.Status
	cs.InitializeConditions(testNow)
	u, _ := apis.ParseURL("http://my-channel-kn-channel.ns.svc.cluster.local")
	backing := &duckv1.ChannelableStatus{
		Status:             apis.Status{Conditions: []apis.Condition{{Type: apis.ConditionReady, Status: apis.ConditionTrue}}},
		AddressStatus:      duckv1.AddressStatus{Address: &duckv1.Addressable{URL: u}},
		SubscribableStatus: duckv1.SubscribableStatus{Subscribers: []duckv1.SubscriberStatus{{UID: "a", Ready: apis.ConditionTrue}}},
	}
	cs.PropagateStatuses(testNow, backing)
	cs.MarkDeadLetterSinkNotConfigured(testNow)
	if !c.IsReady() {
		t.Fatalf("IsReady() = false: %+v", cs.Conditions)
	}
	if len(cs.Subscribers) != 1 || cs.Address.URL != u {
		t.Errorf("PropagateStatuses did not copy subscribers and address: %+v", cs)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"backing missing", func() { cs.PropagateStatuses(testNow, &duckv1.ChannelableStatus{}) }, apis.ConditionFalse},
		{"backing back", func() { cs.PropagateStatuses(testNow, backing) }, apis.ConditionTrue},
		{"backing false", func() {
			cs.PropagateStatuses(testNow, &duckv1.ChannelableStatus{
				Status:        apis.Status{Conditions: []apis.Condition{{Type: apis.ConditionReady, Status: apis.ConditionFalse, Reason: "X"}}},
				AddressStatus: backing.AddressStatus,
			})
		}, apis.ConditionFalse},
		{"backing unknown", func() {
			cs.MarkBackingChannelReady(testNow)
			cs.PropagateStatuses(testNow, &duckv1.ChannelableStatus{
				Status:        apis.Status{Conditions: []apis.Condition{{Type: apis.ConditionReady, Status: apis.ConditionUnknown}}},
				AddressStatus: backing.AddressStatus,
			})
		}, apis.ConditionUnknown},
		{"backing ready", func() { cs.MarkBackingChannelReady(testNow) }, apis.ConditionTrue},
		{"dls failed", func() { cs.MarkDeadLetterSinkResolvedFailed(testNow, "NotFound", "") }, apis.ConditionFalse},
		{"dls resolved", func() {
			cs.MarkDeadLetterSinkResolvedSucceeded(testNow, duckv1.DeliveryStatus{DeadLetterSinkURI: u})
		}, apis.ConditionTrue},
	}
	for _, s := range steps {
		s.do()
		if got := cs.GetTopLevelCondition().Status; got != s.want {
			t.Errorf("%s: Ready = %s, want %s", s.name, got, s.want)
		}
	}
	if c.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", c.ConditionSet().Happy)
	}
}
