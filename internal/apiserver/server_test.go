package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/natsembed"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// widget is a small kind with a spec, a status and one validation rule,
// standing in for the Knative kinds.
type widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              widgetSpec  `json:"spec,omitempty"`
	Status            apis.Status `json:"status,omitempty"`
}

type widgetSpec struct {
	Size  int    `json:"size,omitempty"`
	Color string `json:"color,omitempty"`
}

func (w *widget) SetDefaults(ctx context.Context) {
	if w.Spec.Color == "" {
		w.Spec.Color = "blue"
	}
}

func (w *widget) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	var errs field.ErrorList
	if w.Spec.Size < 0 || w.Spec.Size > 100 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "size"), w.Spec.Size,
			fmt.Sprintf("expected 0 <= %d <= 100", w.Spec.Size)))
	}
	return errs
}

type namespace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
}

func (n *namespace) SetDefaults(context.Context)                           {}
func (n *namespace) Validate(context.Context, apis.Object) field.ErrorList { return nil }

func testKinds() []apis.Kind {
	return []apis.Kind{
		{Version: "v1", Kind: "Namespace", ListKind: "NamespaceList", Plural: "namespaces", Singular: "namespace",
			ShortNames: []string{"ns"}, New: func() apis.Object { return &namespace{} }},
		{Group: "test.skiff.dev", Version: "v1", Kind: "Widget", ListKind: "WidgetList", Plural: "widgets",
			Singular: "widget", ShortNames: []string{"wd"}, Categories: []string{"all"}, Namespaced: true, HasStatus: true,
			New: func() apis.Object { return &widget{} },
			Columns: []apis.Column{
				{Name: "Size", Type: "integer", JSONPath: ".spec.size"},
				{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
			}},
	}
}

const testToken = "secret-token"

type testServer struct {
	t     *testing.T
	url   string
	store store.Store
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	st, err := store.NewKV(ctx, n.JetStream(), store.KVOptions{History: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Create(ctx, store.Key{Resource: "namespaces", Name: "default"}, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}`)); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Kinds: testKinds(), Store: st, Token: testToken, MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{t: t, url: hs.URL, store: st}
}

type reply struct {
	code   int
	body   []byte
	header http.Header
}

func (ts *testServer) do(method, path, contentType, body string, hdr ...string) reply {
	ts.t.Helper()
	req, _ := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: b, header: resp.Header}
}

func (r reply) status(t *testing.T) metav1.Status {
	t.Helper()
	var s metav1.Status
	if err := json.Unmarshal(r.body, &s); err != nil || s.Kind != "Status" || s.APIVersion != "v1" {
		t.Fatalf("reply %d %s is not a Status (err %v)", r.code, r.body, err)
	}
	return s
}

const widgets = "/apis/test.skiff.dev/v1/namespaces/default/widgets"

func TestCreateGetListTable(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("POST", widgets+"?fieldValidation=Strict", "application/json",
		`{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a","labels":{"tier":"x"}},"spec":{"size":3}}`)
	if r.code != http.StatusCreated {
		t.Fatalf("create = %d %s, want 201", r.code, r.body)
	}
	var w widget
	_ = json.Unmarshal(r.body, &w)
	if w.Spec.Color != "blue" || w.Generation != 1 || w.UID == "" || w.ResourceVersion == "" || w.Namespace != "default" {
		t.Errorf("created widget = %+v; want defaulted color, generation 1, uid, resourceVersion, namespace", w)
	}

	r = ts.do("GET", widgets+"/a", "", "")
	if r.code != 200 || !strings.Contains(string(r.body), `"size":3`) {
		t.Fatalf("get = %d %s", r.code, r.body)
	}

	r = ts.do("GET", widgets+"?labelSelector=tier%3Dx", "", "")
	var list struct {
		Kind       string
		APIVersion string
		Metadata   metav1.ListMeta
		Items      []widget
	}
	_ = json.Unmarshal(r.body, &list)
	if list.Kind != "WidgetList" || list.APIVersion != "test.skiff.dev/v1" || len(list.Items) != 1 || list.Metadata.ResourceVersion == "" {
		t.Errorf("list = %s; want a WidgetList of one with a resourceVersion", r.body)
	}
	r = ts.do("GET", widgets+"?labelSelector=tier%3Dy", "", "")
	_ = json.Unmarshal(r.body, &list)
	if len(list.Items) != 0 {
		t.Errorf("list with a non-matching selector has %d items, want 0", len(list.Items))
	}

	r = ts.do("GET", widgets, "", "", "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	var table metav1.Table
	_ = json.Unmarshal(r.body, &table)
	if table.Kind != "Table" || len(table.ColumnDefinitions) != 3 || len(table.Rows) != 1 {
		t.Fatalf("table = %s; want 3 columns (Name, Size, Ready) and one row", r.body)
	}
	if got := fmt.Sprint(table.Rows[0].Cells); got != "[a 3 ]" {
		t.Errorf("row cells = %s, want [a 3 ]", got)
	}
	var pom metav1.PartialObjectMetadata
	_ = json.Unmarshal(table.Rows[0].Object.Raw, &pom)
	if pom.Kind != "PartialObjectMetadata" || pom.Name != "a" {
		t.Errorf("row object = %s, want PartialObjectMetadata of a", table.Rows[0].Object.Raw)
	}

	// Cluster-wide list of a namespaced kind.
	r = ts.do("GET", "/apis/test.skiff.dev/v1/widgets", "", "")
	_ = json.Unmarshal(r.body, &list)
	if len(list.Items) != 1 {
		t.Errorf("cluster-wide list has %d items, want 1", len(list.Items))
	}
}

func TestErrors(t *testing.T) {
	ts := newTestServer(t)
	ok := ts.do("POST", widgets, "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a"}}`)
	if ok.code != 201 {
		t.Fatalf("create = %d %s", ok.code, ok.body)
	}
	tests := []struct {
		name       string
		method     string
		path, body string
		ct         string
		wantCode   int32
		wantReason metav1.StatusReason
		wantMsg    string
	}{
		{"not found", "GET", widgets + "/nope", "", "", 404, metav1.StatusReasonNotFound, `widgets.test.skiff.dev "nope" not found`},
		{"already exists", "POST", widgets, `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a"}}`, "", 409, metav1.StatusReasonAlreadyExists, `widgets.test.skiff.dev "a" already exists`},
		{"invalid field", "POST", widgets, `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"b"},"spec":{"size":150}}`, "", 422, metav1.StatusReasonInvalid, `spec.size: Invalid value: 150: expected 0 <= 150 <= 100`},
		{"unknown field strict", "POST", widgets + "?fieldValidation=Strict", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"b"},"spec":{"bogus":1}}`, "", 400, metav1.StatusReasonBadRequest, `strict decoding error: unknown field "spec.bogus"`},
		{"malformed json", "POST", widgets, `{"apiVersion":`, "", 400, metav1.StatusReasonBadRequest, "cannot be handled as a Widget"},
		{"wrong apiVersion", "POST", widgets, `{"apiVersion":"test.skiff.dev/v2","kind":"Widget","metadata":{"name":"b"}}`, "", 400, metav1.StatusReasonBadRequest, "does not match the expected API version"},
		{"wrong kind", "POST", widgets, `{"apiVersion":"test.skiff.dev/v1","kind":"Gadget","metadata":{"name":"b"}}`, "", 400, metav1.StatusReasonBadRequest, "does not match the expected kind"},
		{"namespace mismatch", "POST", widgets, `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"b","namespace":"other"}}`, "", 400, metav1.StatusReasonBadRequest, "does not match the namespace"},
		{"missing namespace", "POST", "/apis/test.skiff.dev/v1/namespaces/nope/widgets", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"b"}}`, "", 404, metav1.StatusReasonNotFound, `namespaces "nope" not found`},
		{"no name", "POST", widgets, `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{}}`, "", 422, metav1.StatusReasonInvalid, "metadata.name: Required value"},
		{"bad label", "POST", widgets, `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"b","labels":{"a":"not valid!"}}}`, "", 422, metav1.StatusReasonInvalid, "metadata.labels"},
		{"too large", "POST", widgets, `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, "", 413, metav1.StatusReasonRequestEntityTooLarge, "Request entity too large"},
		{"stale resourceVersion", "PUT", widgets + "/a", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a","resourceVersion":"1"}}`, "", 409, metav1.StatusReasonConflict, "the object has been modified"},
		{"server-side apply", "PATCH", widgets + "/a", `{}`, "application/apply-patch+yaml", 415, metav1.StatusReasonUnsupportedMediaType, "server-side apply is not available"},
		{"invalid patch result", "PATCH", widgets + "/a", `{"spec":{"size":-1}}`, "application/merge-patch+json", 422, metav1.StatusReasonInvalid, "spec.size"},
		{"unknown resource", "GET", "/apis/test.skiff.dev/v1/namespaces/default/gadgets", "", "", 404, metav1.StatusReasonNotFound, "could not find the requested resource"},
		{"bad field selector", "GET", widgets + "?fieldSelector=spec.size%3D1", "", "", 400, metav1.StatusReasonBadRequest, "field label not supported: spec.size"},
		{"bad fieldValidation", "POST", widgets + "?fieldValidation=Loud", `{}`, "", 400, metav1.StatusReasonBadRequest, "fieldValidation must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ct
			if ct == "" && tt.body != "" {
				ct = "application/json"
			}
			r := ts.do(tt.method, tt.path, ct, tt.body)
			s := r.status(t)
			if s.Code != tt.wantCode || int(s.Code) != r.code || s.Reason != tt.wantReason || !strings.Contains(s.Message, tt.wantMsg) {
				t.Errorf("%s %s = %d %s %q; want %d %s containing %q", tt.method, tt.path, r.code, s.Reason, s.Message, tt.wantCode, tt.wantReason, tt.wantMsg)
			}
		})
	}
	// Nothing that failed was stored.
	r := ts.do("GET", widgets, "", "")
	if n := strings.Count(string(r.body), `"kind":"Widget"`); n != 1 {
		t.Errorf("after the failures the list holds %d widgets, want 1: %s", n, r.body)
	}
}

func TestInvalidHasCauses(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("POST", widgets, "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"b"},"spec":{"size":150}}`)
	s := r.status(t)
	if s.Details == nil || s.Details.Kind != "Widget" || s.Details.Name != "b" || len(s.Details.Causes) != 1 || s.Details.Causes[0].Field != "spec.size" {
		t.Errorf("Invalid details = %+v; want kind Widget, name b, one cause on spec.size", s.Details)
	}
}

func TestUnauthorized(t *testing.T) {
	ts := newTestServer(t)
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest("GET", ts.url+widgets, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(b), `"reason":"Unauthorized"`) {
			t.Errorf("auth %q: %d %s, want 401 Unauthorized Status", auth, resp.StatusCode, b)
		}
	}
	for _, p := range []string{"/readyz", "/livez", "/version"} {
		resp, err := http.Get(ts.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s without a token = %d, want 200", p, resp.StatusCode)
		}
	}
}

func TestFieldValidationModes(t *testing.T) {
	ts := newTestServer(t)
	body := `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"%s"},"spec":{"size":1,"bogus":true}}`
	r := ts.do("POST", widgets+"?fieldValidation=Ignore", "application/json", fmt.Sprintf(body, "ignored"))
	if r.code != 201 || strings.Contains(string(r.body), "bogus") || r.header.Get("Warning") != "" {
		t.Errorf("Ignore: %d %s warning %q; want 201 without the field and no warning", r.code, r.body, r.header.Get("Warning"))
	}
	r = ts.do("POST", widgets+"?fieldValidation=Warn", "application/json", fmt.Sprintf(body, "warned"))
	if r.code != 201 || strings.Contains(string(r.body), "bogus") || !strings.Contains(r.header.Get("Warning"), `unknown field \"spec.bogus\"`) {
		t.Errorf("Warn: %d %s warning %q; want 201 without the field and a warning", r.code, r.body, r.header.Get("Warning"))
	}
}

func TestUpdatePatchAndStatus(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("POST", widgets, "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"size":1}}`)
	var w widget
	_ = json.Unmarshal(r.body, &w)

	// A label change does not bump generation; a spec change does.
	r = ts.do("PATCH", widgets+"/a", "application/merge-patch+json", `{"metadata":{"labels":{"x":"y"}}}`)
	var w2 widget
	_ = json.Unmarshal(r.body, &w2)
	if r.code != 200 || w2.Generation != 1 || w2.Labels["x"] != "y" {
		t.Fatalf("label patch = %d %s; want generation 1 and the label", r.code, r.body)
	}
	r = ts.do("PATCH", widgets+"/a", "application/merge-patch+json", `{"spec":{"size":2}}`)
	_ = json.Unmarshal(r.body, &w2)
	if w2.Generation != 2 || w2.Spec.Size != 2 {
		t.Fatalf("spec patch = %s; want generation 2 and size 2", r.body)
	}
	// An unchanged patch does not write.
	r = ts.do("PATCH", widgets+"/a", "application/merge-patch+json", `{"spec":{"size":2}}`)
	var w3 widget
	_ = json.Unmarshal(r.body, &w3)
	if w3.ResourceVersion != w2.ResourceVersion {
		t.Errorf("no-op patch moved resourceVersion %s -> %s", w2.ResourceVersion, w3.ResourceVersion)
	}

	// Status through the subresource only.
	r = ts.do("PUT", widgets+"/a", "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"size":2},"status":{"observedGeneration":2}}`)
	if strings.Contains(string(r.body), "observedGeneration") {
		t.Errorf("PUT on the object changed status: %s", r.body)
	}
	r = ts.do("PATCH", widgets+"/a/status", "application/merge-patch+json",
		`{"status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True"}]},"spec":{"size":50}}`)
	var w4 widget
	_ = json.Unmarshal(r.body, &w4)
	if r.code != 200 || w4.Status.ObservedGeneration != 2 || w4.Spec.Size != 2 || w4.Generation != 2 {
		t.Fatalf("status patch = %d %s; want status set, spec and generation untouched", r.code, r.body)
	}
	r = ts.do("GET", widgets, "", "", "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	if !strings.Contains(string(r.body), `"cells":["a",2,"True"]`) {
		t.Errorf("table after status = %s, want Ready True", r.body)
	}
}

func TestWatch(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("POST", widgets, "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a"}}`)
	var w widget
	_ = json.Unmarshal(r.body, &w)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+widgets+"?watch=true&resourceVersion="+w.ResourceVersion+"&fieldSelector=metadata.name%3Da", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)

	ts.do("POST", widgets, "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"other"}}`)
	ts.do("PATCH", widgets+"/a", "application/merge-patch+json", `{"spec":{"size":7}}`)
	ts.do("DELETE", widgets+"/a", "", "")
	for _, want := range []string{"MODIFIED", "DELETED"} {
		if !lines.Scan() {
			t.Fatalf("watch ended before %s: %v", want, lines.Err())
		}
		var ev struct {
			Type   string
			Object widget
		}
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Fatalf("watch line %q: %v", lines.Text(), err)
		}
		if ev.Type != want || ev.Object.Name != "a" {
			t.Errorf("watch event = %s %s, want %s a", ev.Type, ev.Object.Name, want)
		}
	}
}

func TestWatchExpired(t *testing.T) {
	ts := newTestServer(t)
	// History is 5: ten writes push revision 1 out of memory.
	for i := range 10 {
		ts.do("POST", widgets, "application/json", fmt.Sprintf(`{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"w%d"}}`, i))
	}
	r := ts.do("GET", widgets+"?watch=true&resourceVersion=1", "", "")
	if r.code != 200 || !strings.Contains(string(r.body), `"type":"ERROR"`) || !strings.Contains(string(r.body), `"code":410`) || !strings.Contains(string(r.body), `"reason":"Expired"`) {
		t.Errorf("watch from an expired revision = %d %s; want an ERROR event with 410 Expired", r.code, r.body)
	}
}

func TestDiscoveryAndOpenAPI(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("GET", "/apis", "", "")
	if !strings.Contains(string(r.body), `"name":"test.skiff.dev"`) || strings.Contains(string(r.body), `"name":""`) {
		t.Errorf("/apis = %s", r.body)
	}
	r = ts.do("GET", "/apis/test.skiff.dev/v1", "", "")
	var rl metav1.APIResourceList
	_ = json.Unmarshal(r.body, &rl)
	if len(rl.APIResources) != 2 || rl.APIResources[0].Name != "widgets" || rl.APIResources[1].Name != "widgets/status" || rl.APIResources[0].ShortNames[0] != "wd" {
		t.Errorf("/apis/test.skiff.dev/v1 = %s", r.body)
	}
	r = ts.do("GET", "/api", "", "")
	if !strings.Contains(string(r.body), `"versions":["v1"]`) {
		t.Errorf("/api = %s", r.body)
	}
	r = ts.do("GET", "/openapi/v3", "", "")
	var root struct {
		Paths map[string]struct{ ServerRelativeURL string }
	}
	_ = json.Unmarshal(r.body, &root)
	gv, ok := root.Paths["apis/test.skiff.dev/v1"]
	if !ok || root.Paths["api/v1"].ServerRelativeURL == "" {
		t.Fatalf("/openapi/v3 = %s; want both group versions", r.body)
	}
	r = ts.do("GET", gv.ServerRelativeURL, "", "")
	doc := string(r.body)
	for _, want := range []string{`"fieldValidation"`, `"x-kubernetes-group-version-kind"`, `"application/merge-patch+json"`, `"size":{"type":"integer"}`} {
		if !strings.Contains(doc, want) {
			t.Errorf("openapi document lacks %s", want)
		}
	}
	if strings.Contains(doc, "strategic-merge-patch") {
		t.Errorf("openapi document advertises strategic merge patch")
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("POST", widgets, "application/json", `{"apiVersion":"test.skiff.dev/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"size":1}}`)
	var w widget
	_ = json.Unmarshal(r.body, &w)
	r = ts.do("PATCH", widgets+"/a?dryRun=All", "application/merge-patch+json", `{"spec":{"size":9}}`)
	if r.code != 200 || !strings.Contains(string(r.body), `"size":9`) {
		t.Errorf("dry-run patch = %d %s; want the patched object", r.code, r.body)
	}
	r = ts.do("DELETE", widgets+"/a?dryRun=All", "", "")
	if r.code != 200 {
		t.Errorf("dry-run delete = %d %s", r.code, r.body)
	}
	r = ts.do("GET", widgets+"/a", "", "")
	var after widget
	_ = json.Unmarshal(r.body, &after)
	if r.code != 200 || after.Spec.Size != 1 || after.ResourceVersion != w.ResourceVersion {
		t.Errorf("after dry runs: %d %s; want the object unchanged", r.code, r.body)
	}
	// A namespace selector that disagrees with the path selects nothing.
	r = ts.do("GET", widgets+"?fieldSelector=metadata.namespace%3Dother,metadata.name%3Da", "", "")
	if strings.Contains(string(r.body), `"name":"a"`) {
		t.Errorf("conflicting namespace selector listed %s", r.body)
	}
}
