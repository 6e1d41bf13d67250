package v1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func sinkRef(ns string) duckv1.Destination {
	return duckv1.Destination{Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "display", Namespace: ns}}
}

func validPing() *PingSource {
	return &PingSource{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: PingSourceSpec{
			SourceSpec: duckv1.SourceSpec{Sink: sinkRef("ns")},
			Schedule:   "*/2 * * * *",
		},
	}
}

func TestPingSourceSetDefaults(t *testing.T) {
	p := &PingSource{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: PingSourceSpec{SourceSpec: duckv1.SourceSpec{Sink: sinkRef("")}}}
	p.SetDefaults(ctx)
	want := &PingSource{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: PingSourceSpec{
		SourceSpec: duckv1.SourceSpec{Sink: sinkRef("ns")}, Schedule: "* * * * *"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
	p.Spec.Schedule = "@hourly"
	p.SetDefaults(ctx)
	if p.Spec.Schedule != "@hourly" {
		t.Errorf("SetDefaults() replaced schedule with %q", p.Spec.Schedule)
	}
}

func TestPingSourceValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *PingSource)
		want   []string
	}{
		{"valid", func(*PingSource) {}, nil},
		{"descriptor", func(p *PingSource) { p.Spec.Schedule = "@daily" }, nil},
		{"timezone", func(p *PingSource) { p.Spec.Timezone = "America/New_York" }, nil},
		{"schedule with own zone", func(p *PingSource) { p.Spec.Schedule = "CRON_TZ=Asia/Tokyo 0 9 * * *" }, nil},
		{"empty schedule", func(p *PingSource) { p.Spec.Schedule = "" }, []string{"spec.schedule: Invalid value"}},
		{"bad schedule", func(p *PingSource) { p.Spec.Schedule = "61 * * * *" }, []string{"spec.schedule: Invalid value"}},
		{"six fields", func(p *PingSource) { p.Spec.Schedule = "0 * * * * *" }, []string{"spec.schedule: Invalid value"}},
		{"@every", func(p *PingSource) { p.Spec.Schedule = "@every 1m" }, []string{"spec.schedule: Invalid value"}},
		{"bad timezone", func(p *PingSource) { p.Spec.Timezone = "Nowhere/Special" }, []string{"spec.timezone: Invalid value"}},
		{"no sink", func(p *PingSource) { p.Spec.Sink = duckv1.Destination{} }, []string{"spec.sink: Required value"}},
		{"bad override", func(p *PingSource) {
			p.Spec.CloudEventOverrides = &duckv1.CloudEventOverrides{Extensions: map[string]string{"source": "x"}}
		}, []string{"spec.ceOverrides.extensions[source]: Invalid value"}},
		{"data and dataBase64", func(p *PingSource) { p.Spec.Data, p.Spec.DataBase64 = "a", "YQ==" }, []string{"spec.dataBase64: Forbidden"}},
		{"text data", func(p *PingSource) { p.Spec.Data = "hello" }, nil},
		{"json data", func(p *PingSource) { p.Spec.ContentType, p.Spec.Data = "application/json", `{"a":1}` }, nil},
		{"bad json data", func(p *PingSource) { p.Spec.ContentType, p.Spec.Data = "application/json", `hello` }, []string{"spec.data: Invalid value"}},
		{"json array is not an object", func(p *PingSource) { p.Spec.ContentType, p.Spec.Data = "application/json", `[1]` }, []string{"spec.data: Invalid value"}},
		{"base64", func(p *PingSource) { p.Spec.DataBase64 = "aGVsbG8=" }, nil},
		{"bad base64", func(p *PingSource) { p.Spec.DataBase64 = "!!!" }, []string{"spec.dataBase64: Invalid value"}},
		{"base64 of bad json", func(p *PingSource) { p.Spec.ContentType, p.Spec.DataBase64 = "application/json", "aGVsbG8=" }, []string{"spec.dataBase64: Invalid value"}},
		{"base64 of json", func(p *PingSource) { p.Spec.ContentType, p.Spec.DataBase64 = "application/json", "eyJhIjoxfQ==" }, nil},
		{"bad name", func(p *PingSource) { p.Name = "P" }, []string{"metadata.name: Invalid value"}},
	}
	for _, tt := range tests {
		p := validPing()
		tt.mutate(p)
		got := summarize(p.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestPingSourceValidateShortensData(t *testing.T) {
	p := validPing()
	p.Spec.ContentType, p.Spec.Data = "application/json", strings.Repeat("x", 10000)
	errs := p.Validate(ctx, nil)
	if len(errs) != 1 || len(errs[0].Error()) > 500 {
		t.Errorf("Validate(huge data) = %v, want one short error", errs)
	}
}

func TestPingSourceLifecycle(t *testing.T) {
	p := &PingSource{}
	s := &p.Status
	s.InitializeConditions(testNow)
	u, _ := apis.ParseURL("http://display.ns.svc.cluster.local")
	s.MarkSink(testNow, &duckv1.Addressable{URL: u, Audience: duckv1.String("aud")})
	s.MarkDeployed(testNow)
	if !p.IsReady() || s.SinkURI != u || *s.SinkAudience != "aud" {
		t.Fatalf("after MarkSink and MarkDeployed: ready=%v status=%+v", p.IsReady(), s)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"sink empty", func() { s.MarkSink(testNow, nil) }, apis.ConditionFalse},
		{"sink back", func() { s.MarkSink(testNow, &duckv1.Addressable{URL: u}) }, apis.ConditionTrue},
		{"no sink", func() { s.MarkNoSink(testNow, "NotFound", "") }, apis.ConditionFalse},
		{"sink again", func() { s.MarkSink(testNow, &duckv1.Addressable{URL: u}) }, apis.ConditionTrue},
		{"deploy unknown", func() { s.MarkDeployedUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"not deployed", func() { s.MarkNotDeployed(testNow, "Down", "") }, apis.ConditionFalse},
		{"deployed", func() { s.MarkDeployed(testNow) }, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := s.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if got, want := PingSourceSource("ns", "p"), "/apis/v1/namespaces/ns/pingsources/p"; got != want {
		t.Errorf("PingSourceSource() = %q, want %q", got, want)
	}
	if p.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", p.ConditionSet().Happy)
	}
}
