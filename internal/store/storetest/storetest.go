// Package storetest is the conformance suite of store.Store: one body of
// tests that every implementation runs, so that they all keep the write
// rules of the Kubernetes API server the same way.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/store"
)

// Timeouts of the suite. Waits end as soon as their condition holds.
const (
	waitTimeout = 10 * time.Second
	pollEvery   = 5 * time.Millisecond
)

// ExpiryWrites is how many writes the suite makes to push a revision out of
// the store's memory: a store under test must remember fewer events than
// this for watches (for KV: History <= 100).
const ExpiryWrites = 250

// Run runs the suite. newStore returns a new, empty store; it is called once
// per subtest, from subtests that run in parallel, and the store must stay
// usable until the subtest ends (use t.Cleanup to close it). The store must
// remember fewer than ExpiryWrites events for resumed watches.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"CreateGetList", testCreateGetList},
		{"CreateInvalid", testCreateInvalid},
		{"AlreadyExists", testAlreadyExists},
		{"CreateAfterDelete", testCreateAfterDelete},
		{"Selectors", testSelectors},
		{"UpdateConflict", testUpdateConflict},
		{"UpdateUnconditional", testUpdateUnconditional},
		{"UpdateNotFound", testUpdateNotFound},
		{"Generation", testGeneration},
		{"StatusSubresource", testStatusSubresource},
		{"NoopUpdate", testNoopUpdate},
		{"RevisionsGrowAcrossKinds", testRevisionsGrow},
		{"WatchReplay", testWatchReplay},
		{"WatchResume", testWatchResume},
		{"WatchLabelTransitions", testWatchLabelTransitions},
		{"WatchNameAndNamespace", testWatchNameAndNamespace},
		{"WatchAllKinds", testWatchAllKinds},
		{"WatchContextCancel", testWatchContextCancel},
		{"WatchExpired", testWatchExpired},
		{"Finalizers", testFinalizers},
		{"CascadeBackground", testCascadeBackground},
		{"CascadeForeground", testCascadeForeground},
		{"CascadeOrphan", testCascadeOrphan},
		{"TwoOwners", testTwoOwners},
		{"Preconditions", testPreconditions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, newStore(t))
		})
	}
}

// CheckFor calls f until it returns nil, failing t with f's last error when
// that has not happened within timeout.
func CheckFor(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// Kinds used by the suite.
var (
	services   = kind{"serving.knative.dev", "services"}
	configs    = kind{"serving.knative.dev", "configurations"}
	revisions  = kind{"serving.knative.dev", "revisions"}
	configmaps = kind{"", "configmaps"}
	namespaces = kind{"", "namespaces"}
)

type kind struct{ group, resource string }

func (k kind) key(ns, name string) store.Key {
	return store.Key{Group: k.group, Resource: k.resource, Namespace: ns, Name: name}
}

func (k kind) list(ns string) store.ListOptions {
	return store.ListOptions{Group: k.group, Resource: k.resource, Namespace: ns}
}

func (k kind) watch(ns string, rev int64) store.WatchOptions {
	return store.WatchOptions{Group: k.group, Resource: k.resource, Namespace: ns, Revision: rev}
}

// body builds an object for key, changed by the mods.
func body(t testing.TB, key store.Key, mods ...func(m map[string]any)) []byte {
	t.Helper()
	meta := map[string]any{"name": key.Name}
	if key.Namespace != "" {
		meta["namespace"] = key.Namespace
	}
	m := map[string]any{"apiVersion": "test/v1", "kind": "Thing", "metadata": meta, "spec": map[string]any{"n": 1}}
	for _, mod := range mods {
		mod(m)
	}
	return encode(t, m)
}

// edit returns o's JSON changed by the mods.
func edit(t testing.TB, o *store.Object, mods ...func(m map[string]any)) []byte {
	t.Helper()
	m := decode(t, o)
	for _, mod := range mods {
		mod(m)
	}
	return encode(t, m)
}

func encode(t testing.TB, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t testing.TB, o *store.Object) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(o.JSON, &m); err != nil {
		t.Fatalf("decode %s: %v", o.JSON, err)
	}
	return m
}

func meta(m map[string]any) map[string]any { return m["metadata"].(map[string]any) }

func withSpec(spec map[string]any) func(map[string]any) {
	return func(m map[string]any) { m["spec"] = spec }
}

func withStatus(status map[string]any) func(map[string]any) {
	return func(m map[string]any) { m["status"] = status }
}

func withLabels(l map[string]string) func(map[string]any) {
	return func(m map[string]any) {
		if l == nil {
			delete(meta(m), "labels")
			return
		}
		meta(m)["labels"] = l
	}
}

func withFinalizers(f ...string) func(map[string]any) {
	return func(m map[string]any) {
		if len(f) == 0 {
			delete(meta(m), "finalizers")
			return
		}
		meta(m)["finalizers"] = f
	}
}

func withRV(rv string) func(map[string]any) {
	return func(m map[string]any) { meta(m)["resourceVersion"] = rv }
}

func withoutRV(m map[string]any) { delete(meta(m), "resourceVersion") }

func withOwners(owners ...*store.Object) func(map[string]any) {
	return func(m map[string]any) {
		var refs []any
		for _, o := range owners {
			refs = append(refs, map[string]any{
				"apiVersion": "test/v1", "kind": "Thing", "name": o.Key.Name, "uid": string(o.Meta.UID),
			})
		}
		meta(m)["ownerReferences"] = refs
	}
}

func create(t testing.TB, s store.Store, key store.Key, mods ...func(map[string]any)) *store.Object {
	t.Helper()
	o, err := s.Create(context.Background(), key, body(t, key, mods...))
	if err != nil {
		t.Fatalf("Create(%v) = %v", key, err)
	}
	return o
}

func get(t testing.TB, s store.Store, key store.Key) *store.Object {
	t.Helper()
	o, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%v) = %v", key, err)
	}
	return o
}

func update(t testing.TB, s store.Store, o *store.Object, status bool, mods ...func(map[string]any)) *store.Object {
	t.Helper()
	n, err := s.Update(context.Background(), o.Key, edit(t, o, mods...), store.UpdateOptions{Status: status})
	if err != nil {
		t.Fatalf("Update(%v) = %v", o.Key, err)
	}
	return n
}

func del(t testing.TB, s store.Store, key store.Key, opts store.DeleteOptions) *store.Object {
	t.Helper()
	o, err := s.Delete(context.Background(), key, opts)
	if err != nil {
		t.Fatalf("Delete(%v, %+v) = %v", key, opts, err)
	}
	return o
}

func watch(t testing.TB, s store.Store, opts store.WatchOptions) <-chan store.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Watch(ctx, opts)
	if err != nil {
		t.Fatalf("Watch(%+v) = %v", opts, err)
	}
	return ch
}

// next returns the next event on ch.
func next(t testing.TB, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(waitTimeout):
		t.Fatal("no event")
	}
	return store.Event{}
}

// evString describes an event for comparisons: "ADDED default/a 12".
func evString(ev store.Event) string {
	return fmt.Sprintf("%s %s/%s %d", ev.Type, ev.Object.Key.Namespace, ev.Object.Key.Name, ev.Object.Revision)
}

// expectEvents reads len(want) events and compares them.
func expectEvents(t testing.TB, ch <-chan store.Event, want ...string) {
	t.Helper()
	var got []string
	for range want {
		got = append(got, evString(next(t, ch)))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

// expectQuiet checks that the next event on ch is the sentinel write done
// by write (nothing else came before it).
func expectQuiet(t testing.TB, ch <-chan store.Event, write func() *store.Object) {
	t.Helper()
	o := write()
	ev := next(t, ch)
	if ev.Object.Key != o.Key || ev.Object.Revision != o.Revision {
		t.Fatalf("next event = %s, want the sentinel %s/%s %d", evString(ev), o.Key.Namespace, o.Key.Name, o.Revision)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want %v", what, err, want)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkObject checks the server-set fields of o.
func checkObject(t testing.TB, o *store.Object) {
	t.Helper()
	m := decode(t, o)
	md := meta(m)
	if rv := strconv.FormatInt(o.Revision, 10); md["resourceVersion"] != rv || o.Meta.ResourceVersion != rv {
		t.Errorf("%v: resourceVersion JSON %v, Meta %q, want %s", o.Key, md["resourceVersion"], o.Meta.ResourceVersion, rv)
	}
	if md["name"] != o.Key.Name || o.Meta.Name != o.Key.Name {
		t.Errorf("%v: name %v / %q", o.Key, md["name"], o.Meta.Name)
	}
	if o.Key.Namespace != "" && (md["namespace"] != o.Key.Namespace || o.Meta.Namespace != o.Key.Namespace) {
		t.Errorf("%v: namespace %v / %q", o.Key, md["namespace"], o.Meta.Namespace)
	}
	if uid, _ := md["uid"].(string); !uuidRE.MatchString(uid) || string(o.Meta.UID) != uid {
		t.Errorf("%v: uid %q is not a UUID v4 (Meta %q)", o.Key, uid, o.Meta.UID)
	}
	ts, _ := md["creationTimestamp"].(string)
	if parsed, err := time.Parse(time.RFC3339, ts); err != nil || parsed.Nanosecond() != 0 || o.Meta.CreationTimestamp.IsZero() {
		t.Errorf("%v: creationTimestamp %q", o.Key, ts)
	}
}

func testCreateGetList(t *testing.T, s store.Store) {
	ctx := context.Background()
	keys := []store.Key{services.key("b", "x"), services.key("a", "y"), services.key("a", "x")}
	created := map[store.Key]*store.Object{}
	for _, k := range keys {
		o := create(t, s, k, withStatus(map[string]any{"ready": true}),
			func(m map[string]any) {
				md := meta(m)
				md["resourceVersion"] = "12345"
				md["uid"] = "not-mine"
				md["deletionTimestamp"] = "2020-01-01T00:00:00Z"
				md["managedFields"] = []any{map[string]any{"manager": "x"}}
				md["annotations"] = map[string]any{"a": "<b>&"}
			})
		checkObject(t, o)
		m := decode(t, o)
		if _, ok := m["status"]; ok {
			t.Errorf("Create kept status: %s", o.JSON)
		}
		md := meta(m)
		for _, f := range []string{"deletionTimestamp", "managedFields"} {
			if _, ok := md[f]; ok {
				t.Errorf("Create kept metadata.%s: %s", f, o.JSON)
			}
		}
		if md["uid"] == "not-mine" || md["generation"] != float64(1) || o.Meta.Generation != 1 {
			t.Errorf("Create: uid %v generation %v, want a new uid and 1", md["uid"], md["generation"])
		}
		if got := md["annotations"].(map[string]any)["a"]; got != "<b>&" {
			t.Errorf("annotation = %q, want %q", got, "<b>&")
		}
		created[k] = o
	}
	// A cluster-scoped object and another kind with the same names.
	ns := create(t, s, namespaces.key("", "a"))
	checkObject(t, ns)
	create(t, s, configs.key("a", "x"))

	for k, want := range created {
		got := get(t, s, k)
		if got.Revision != want.Revision || string(got.JSON) != string(want.JSON) {
			t.Errorf("Get(%v) = %d %s, want %d %s", k, got.Revision, got.JSON, want.Revision, want.JSON)
		}
	}
	if got := get(t, s, namespaces.key("", "a")); got.Revision != ns.Revision {
		t.Errorf("Get(namespace a) revision %d, want %d", got.Revision, ns.Revision)
	}
	_, err := s.Get(ctx, services.key("a", "nope"))
	wantErr(t, "Get(missing)", err, store.ErrNotFound)

	tests := []struct {
		ns   string
		want []string
	}{
		{"", []string{"a/x", "a/y", "b/x"}},
		{"a", []string{"a/x", "a/y"}},
		{"b", []string{"b/x"}},
		{"c", nil},
	}
	for _, tt := range tests {
		l, err := s.List(ctx, services.list(tt.ns))
		if err != nil {
			t.Fatalf("List(%q) = %v", tt.ns, err)
		}
		var got []string
		for _, o := range l.Items {
			got = append(got, o.Key.Namespace+"/"+o.Key.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %v, want %v", tt.ns, got, tt.want)
		}
		if l.Revision < created[keys[0]].Revision {
			t.Errorf("List(%q).Revision = %d, want >= %d", tt.ns, l.Revision, created[keys[0]].Revision)
		}
	}
}

func testCreateInvalid(t *testing.T, s store.Store) {
	key := services.key("default", "x")
	tests := []struct {
		name string
		key  store.Key
		body string
	}{
		{"not JSON", key, `{`},
		{"array", key, `[1]`},
		{"null", key, `null`},
		{"metadata not an object", key, `{"metadata":"x"}`},
		{"other name", key, `{"metadata":{"name":"y","namespace":"default"}}`},
		{"other namespace", key, `{"metadata":{"name":"x","namespace":"other"}}`},
		{"namespace on a cluster-scoped key", namespaces.key("", "x"), `{"metadata":{"name":"x","namespace":"default"}}`},
		{"bad labels", key, `{"metadata":{"name":"x","labels":"a"}}`},
	}
	for _, tt := range tests {
		_, err := s.Create(context.Background(), tt.key, []byte(tt.body))
		wantErr(t, fmt.Sprintf("Create(%s)", tt.name), err, store.ErrInvalid)
	}
	// Name and namespace may be left out: they come from the key.
	o, err := s.Create(context.Background(), key, []byte(`{"spec":{}}`))
	if err != nil {
		t.Fatalf("Create without metadata = %v", err)
	}
	checkObject(t, o)
}

func testAlreadyExists(t *testing.T, s store.Store) {
	key := services.key("default", "x")
	first := create(t, s, key)
	_, err := s.Create(context.Background(), key, body(t, key))
	wantErr(t, "second Create", err, store.ErrExists)
	if got := get(t, s, key); got.Revision != first.Revision {
		t.Errorf("revision after failed Create = %d, want %d", got.Revision, first.Revision)
	}
}

func testCreateAfterDelete(t *testing.T, s store.Store) {
	key := services.key("default", "x")
	first := create(t, s, key)
	del(t, s, key, store.DeleteOptions{})
	_, err := s.Get(context.Background(), key)
	wantErr(t, "Get after Delete", err, store.ErrNotFound)
	second := create(t, s, key)
	if second.Meta.UID == first.Meta.UID || second.Revision <= first.Revision {
		t.Errorf("re-created: uid %s rev %d, first uid %s rev %d", second.Meta.UID, second.Revision, first.Meta.UID, first.Revision)
	}
	_, err = s.Delete(context.Background(), services.key("default", "nope"), store.DeleteOptions{})
	wantErr(t, "Delete(missing)", err, store.ErrNotFound)
}

func testSelectors(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, services.key("a", "one"), withLabels(map[string]string{"app": "web", "tier": "front"}))
	create(t, s, services.key("a", "two"), withLabels(map[string]string{"app": "db"}))
	create(t, s, services.key("b", "one"), withLabels(map[string]string{"app": "web"}))
	create(t, s, services.key("b", "three"))
	create(t, s, configs.key("a", "one"), withLabels(map[string]string{"app": "web"}))

	tests := []struct {
		selector, ns, name string
		want               []string
	}{
		{"", "", "", []string{"a/one", "a/two", "b/one", "b/three"}},
		{"app=web", "", "", []string{"a/one", "b/one"}},
		{"app=web", "a", "", []string{"a/one"}},
		{"app!=web", "", "", []string{"a/two", "b/three"}},
		{"app in (web,db),tier!=front", "", "", []string{"a/two", "b/one"}},
		{"tier", "", "", []string{"a/one"}},
		{"", "", "one", []string{"a/one", "b/one"}},
		{"", "b", "one", []string{"b/one"}},
		{"app=db", "", "one", nil},
		{"", "", "nope", nil},
	}
	for _, tt := range tests {
		sel, err := labels.Parse(tt.selector)
		if err != nil {
			t.Fatal(err)
		}
		opts := services.list(tt.ns)
		opts.Labels, opts.Name = sel, tt.name
		l, err := s.List(ctx, opts)
		if err != nil {
			t.Fatalf("List(%q, ns %q, name %q) = %v", tt.selector, tt.ns, tt.name, err)
		}
		var got []string
		for _, o := range l.Items {
			got = append(got, o.Key.Namespace+"/"+o.Key.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q, ns %q, name %q) = %v, want %v", tt.selector, tt.ns, tt.name, got, tt.want)
		}
	}

	// Field names are case-sensitive, as in Kubernetes: "Labels" is not
	// "labels".
	caps := services.key("c", "caps")
	if _, err := s.Create(ctx, caps, []byte(`{"metadata":{"Labels":{"app":"web"}}}`)); err != nil {
		t.Fatal(err)
	}
	opts := services.list("c")
	opts.Labels = labels.SelectorFromSet(labels.Set{"app": "web"})
	if l, err := s.List(ctx, opts); err != nil || len(l.Items) != 0 {
		t.Errorf("List(app=web) in c = %d items, %v; want none (\"Labels\" is not labels)", len(l.Items), err)
	}
}

func testUpdateConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := create(t, s, services.key("default", "x"))
	o2 := update(t, s, o, false, withSpec(map[string]any{"n": 2}))
	if o2.Revision <= o.Revision {
		t.Fatalf("revision %d after update, was %d", o2.Revision, o.Revision)
	}
	// o carries the old resourceVersion.
	_, err := s.Update(ctx, o.Key, edit(t, o, withSpec(map[string]any{"n": 3})), store.UpdateOptions{})
	wantErr(t, "Update(stale)", err, store.ErrConflict)
	_, err = s.Update(ctx, o.Key, edit(t, o, withStatus(map[string]any{"x": 1})), store.UpdateOptions{Status: true})
	wantErr(t, "Update(stale, status)", err, store.ErrConflict)
	_, err = s.Update(ctx, o.Key, edit(t, o2, withRV("abc")), store.UpdateOptions{})
	wantErr(t, "Update(resourceVersion abc)", err, store.ErrInvalid)
	_, err = s.Update(ctx, o.Key, edit(t, o2, func(m map[string]any) { meta(m)["name"] = "y" }), store.UpdateOptions{})
	wantErr(t, "Update(other name)", err, store.ErrInvalid)
	o3 := update(t, s, o2, false, withSpec(map[string]any{"n": 3}))
	if got := decode(t, o3)["spec"].(map[string]any)["n"]; got != float64(3) {
		t.Errorf("spec.n = %v, want 3", got)
	}
}

func testUpdateUnconditional(t *testing.T, s store.Store) {
	o := create(t, s, services.key("default", "x"))
	update(t, s, o, false, withSpec(map[string]any{"n": 2}))
	// o is stale, but without a resourceVersion the update applies.
	o3 := update(t, s, o, false, withoutRV, withSpec(map[string]any{"n": 3}))
	if got := decode(t, get(t, s, o.Key))["spec"].(map[string]any)["n"]; got != float64(3) {
		t.Errorf("spec.n = %v, want 3", got)
	}
	if o3.Meta.Generation != 3 {
		t.Errorf("generation = %d, want 3", o3.Meta.Generation)
	}
}

func testUpdateNotFound(t *testing.T, s store.Store) {
	key := services.key("default", "x")
	_, err := s.Update(context.Background(), key, body(t, key), store.UpdateOptions{})
	wantErr(t, "Update(missing)", err, store.ErrNotFound)
	_, err = s.Update(context.Background(), key, body(t, key), store.UpdateOptions{Status: true})
	wantErr(t, "Update(missing, status)", err, store.ErrNotFound)
}

func testGeneration(t *testing.T, s store.Store) {
	o := create(t, s, services.key("default", "x"))
	tests := []struct {
		name   string
		status bool
		mod    func(map[string]any)
		want   int64
	}{
		{"spec change", false, withSpec(map[string]any{"n": 2}), 2},
		{"label change", false, withLabels(map[string]string{"a": "b"}), 2},
		{"annotation change", false, func(m map[string]any) { meta(m)["annotations"] = map[string]any{"x": "y"} }, 2},
		{"status through update", false, withStatus(map[string]any{"ready": true}), 2},
		{"status subresource", true, withStatus(map[string]any{"ready": true}), 2},
		{"new top-level field", false, func(m map[string]any) { m["data"] = map[string]any{"k": "v"} }, 3},
		{"generation in the body", false, func(m map[string]any) { meta(m)["generation"] = 42 }, 3},
		{"spec change again", false, withSpec(map[string]any{"n": 3}), 4},
	}
	for _, tt := range tests {
		o = update(t, s, o, tt.status, tt.mod)
		if o.Meta.Generation != tt.want {
			t.Errorf("after %s: generation = %d, want %d", tt.name, o.Meta.Generation, tt.want)
		}
	}
}

func testStatusSubresource(t *testing.T, s store.Store) {
	o := create(t, s, services.key("default", "x"), withLabels(map[string]string{"a": "1"}))
	// Update cannot change status.
	o = update(t, s, o, false, withStatus(map[string]any{"ready": true}), withSpec(map[string]any{"n": 2}))
	if _, ok := decode(t, o)["status"]; ok {
		t.Errorf("Update wrote status: %s", o.JSON)
	}
	// The status update changes only status.
	o = update(t, s, o, true,
		withStatus(map[string]any{"ready": true}),
		withSpec(map[string]any{"n": 99}),
		withLabels(map[string]string{"a": "2"}),
		withFinalizers("x/y"))
	m := decode(t, o)
	if got := m["status"]; fmt.Sprint(got) != "map[ready:true]" {
		t.Errorf("status = %v, want ready", got)
	}
	if got := m["spec"].(map[string]any)["n"]; got != float64(2) {
		t.Errorf("status update changed spec.n to %v", got)
	}
	if o.Meta.Labels["a"] != "1" || len(o.Meta.Finalizers) != 0 || o.Meta.Generation != 2 {
		t.Errorf("status update changed metadata: labels %v finalizers %v generation %d", o.Meta.Labels, o.Meta.Finalizers, o.Meta.Generation)
	}
	// A later Update keeps the stored status.
	o = update(t, s, o, false, withStatus(map[string]any{"ready": false}), withSpec(map[string]any{"n": 3}))
	if got := decode(t, o)["status"]; fmt.Sprint(got) != "map[ready:true]" {
		t.Errorf("status after Update = %v, want ready", got)
	}
}

func testNoopUpdate(t *testing.T, s store.Store) {
	o := create(t, s, services.key("default", "x"), withLabels(map[string]string{"a": "1"}))
	o = update(t, s, o, true, withStatus(map[string]any{"ready": true}))
	ch := watch(t, s, services.watch("", o.Revision))
	tests := []struct {
		name   string
		status bool
		mods   []func(map[string]any)
	}{
		{"same object", false, nil},
		{"same object, status", true, nil},
		{"without resourceVersion", false, []func(map[string]any){withoutRV}},
		{"different status through update", false, []func(map[string]any){withStatus(map[string]any{"ready": false})}},
		{"different spec through status", true, []func(map[string]any){withSpec(map[string]any{"n": 5})}},
		{"server fields changed", false, []func(map[string]any){func(m map[string]any) {
			meta(m)["creationTimestamp"] = "2001-01-01T00:00:00Z"
			meta(m)["generation"] = 7
		}}},
	}
	for _, tt := range tests {
		n := update(t, s, o, tt.status, tt.mods...)
		if n.Revision != o.Revision {
			t.Errorf("%s: revision %d, want %d", tt.name, n.Revision, o.Revision)
		}
	}
	expectQuiet(t, ch, func() *store.Object { return create(t, s, services.key("default", "sentinel")) })
}

func testRevisionsGrow(t *testing.T, s store.Store) {
	var revs []int64
	a := create(t, s, services.key("default", "a"))
	revs = append(revs, a.Revision)
	revs = append(revs, create(t, s, configmaps.key("default", "a")).Revision)
	revs = append(revs, create(t, s, namespaces.key("", "a")).Revision)
	revs = append(revs, update(t, s, a, false, withSpec(map[string]any{"n": 2})).Revision)
	revs = append(revs, create(t, s, revisions.key("default", "a")).Revision)
	for i := 1; i < len(revs); i++ {
		if revs[i] <= revs[i-1] {
			t.Fatalf("revisions %v do not grow", revs)
		}
	}
	l, err := s.List(context.Background(), configmaps.list(""))
	if err != nil {
		t.Fatal(err)
	}
	if l.Revision < revs[len(revs)-1] {
		t.Errorf("List.Revision = %d, want >= %d", l.Revision, revs[len(revs)-1])
	}
}

func testWatchReplay(t *testing.T, s store.Store) {
	a := create(t, s, services.key("default", "a"))
	b := create(t, s, services.key("other", "b"))
	create(t, s, configs.key("default", "c"))
	ch := watch(t, s, services.watch("", 0))
	got := []string{evString(next(t, ch)), evString(next(t, ch))}
	slices.Sort(got)
	want := []string{
		fmt.Sprintf("ADDED default/a %d", a.Revision),
		fmt.Sprintf("ADDED other/b %d", b.Revision),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("replay = %q, want %q", got, want)
	}
	a2 := update(t, s, a, false, withSpec(map[string]any{"n": 2}))
	d := del(t, s, b.Key, store.DeleteOptions{})
	if d.Revision <= a2.Revision {
		t.Errorf("Delete returned revision %d, want > %d", d.Revision, a2.Revision)
	}
	ev := next(t, ch)
	if evString(ev) != fmt.Sprintf("MODIFIED default/a %d", a2.Revision) || string(ev.Object.JSON) != string(a2.JSON) {
		t.Fatalf("event %s %s, want MODIFIED %s", evString(ev), ev.Object.JSON, a2.JSON)
	}
	ev = next(t, ch)
	if evString(ev) != fmt.Sprintf("DELETED other/b %d", d.Revision) {
		t.Fatalf("event %s, want DELETED other/b %d", evString(ev), d.Revision)
	}
	// The deleted object carries the revision of the delete.
	checkObject(t, ev.Object)
	if ev.Object.Meta.UID != b.Meta.UID {
		t.Errorf("deleted object uid %s, want %s", ev.Object.Meta.UID, b.Meta.UID)
	}
	expectQuiet(t, ch, func() *store.Object { return create(t, s, services.key("default", "sentinel")) })
}

func testWatchResume(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := create(t, s, services.key("default", "a"))
	l, err := s.List(ctx, services.list(""))
	if err != nil {
		t.Fatal(err)
	}
	from := l.Revision
	b := create(t, s, services.key("default", "b"))
	create(t, s, configs.key("default", "a")) // another kind: not seen
	a2 := update(t, s, a, false, withSpec(map[string]any{"n": 2}))
	bd := del(t, s, b.Key, store.DeleteOptions{})

	all := []string{
		fmt.Sprintf("ADDED default/b %d", b.Revision),
		fmt.Sprintf("MODIFIED default/a %d", a2.Revision),
		fmt.Sprintf("DELETED default/b %d", bd.Revision),
	}
	tests := []struct {
		from int64
		want []string
	}{
		{from, all},
		{b.Revision, all[1:]},
		{a2.Revision, all[2:]},
		{bd.Revision, nil},
	}
	chans := make([]<-chan store.Event, len(tests))
	for i, tt := range tests {
		chans[i] = watch(t, s, services.watch("", tt.from))
	}
	for i, tt := range tests {
		expectEvents(t, chans[i], tt.want...)
	}
	// Nothing duplicated, nothing else: the next event is the sentinel.
	sentinel := create(t, s, services.key("default", "sentinel"))
	for i := range tests {
		expectQuiet(t, chans[i], func() *store.Object { return sentinel })
	}
}

func testWatchLabelTransitions(t *testing.T, s store.Store) {
	sel := labels.SelectorFromSet(labels.Set{"app": "web"})
	opts := services.watch("", 0)
	opts.Labels = sel
	create(t, s, services.key("default", "other"), withLabels(map[string]string{"app": "db"}))
	ch := watch(t, s, opts)

	o := create(t, s, services.key("default", "x"), withLabels(map[string]string{"app": "db"}))
	o1 := update(t, s, o, false, withLabels(map[string]string{"app": "web"}))
	o2 := update(t, s, o1, false, withSpec(map[string]any{"n": 2}))
	o3 := update(t, s, o2, false, withLabels(map[string]string{"app": "db"}))
	o4 := update(t, s, o3, false, withSpec(map[string]any{"n": 3}))
	o5 := update(t, s, o4, false, withLabels(map[string]string{"app": "web"}))
	d := del(t, s, o.Key, store.DeleteOptions{})
	want := []string{
		fmt.Sprintf("ADDED default/x %d", o1.Revision),
		fmt.Sprintf("MODIFIED default/x %d", o2.Revision),
		fmt.Sprintf("DELETED default/x %d", o3.Revision),
		fmt.Sprintf("ADDED default/x %d", o5.Revision),
		fmt.Sprintf("DELETED default/x %d", d.Revision),
	}
	var events []store.Event
	for range want {
		events = append(events, next(t, ch))
	}
	var got []string
	for _, ev := range events {
		got = append(got, evString(ev))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
	// The object of "stopped matching" is the last state that matched, at
	// the revision of the change.
	if ev := events[2]; ev.Object.Meta.Labels["app"] != "web" {
		t.Errorf("DELETED on label change carries labels %v, want the matching ones", ev.Object.Meta.Labels)
	} else {
		checkObject(t, ev.Object)
	}
	expectQuiet(t, ch, func() *store.Object {
		return create(t, s, services.key("default", "sentinel"), withLabels(map[string]string{"app": "web"}))
	})

	// The same transitions replayed from a revision.
	opts.Revision = o.Revision
	expectEvents(t, watch(t, s, opts), want...)
}

func testWatchNameAndNamespace(t *testing.T, s store.Store) {
	opts := services.watch("a", 0)
	opts.Name = "x"
	ch := watch(t, s, opts)
	create(t, s, services.key("b", "x"))
	create(t, s, services.key("a", "y"))
	create(t, s, configs.key("a", "x"))
	x := create(t, s, services.key("a", "x"))
	expectEvents(t, ch, fmt.Sprintf("ADDED a/x %d", x.Revision))
	expectQuiet(t, ch, func() *store.Object { return update(t, s, x, false, withSpec(map[string]any{"n": 2})) })
}

func testWatchAllKinds(t *testing.T, s store.Store) {
	a := create(t, s, services.key("default", "a"))
	ch := watch(t, s, store.WatchOptions{Revision: 0})
	expectEvents(t, ch, fmt.Sprintf("ADDED default/a %d", a.Revision))
	c := create(t, s, configmaps.key("default", "c"))
	n := create(t, s, namespaces.key("", "n"))
	expectEvents(t, ch, fmt.Sprintf("ADDED default/c %d", c.Revision), fmt.Sprintf("ADDED /n %d", n.Revision))
}

func testWatchContextCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, services.watch("", 0))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	CheckFor(t, waitTimeout, func() error {
		select {
		case _, ok := <-ch:
			if !ok {
				return nil
			}
		default:
		}
		return errors.New("watch still open")
	})
}

func testWatchExpired(t *testing.T, s store.Store) {
	o := create(t, s, services.key("default", "x"))
	from := o.Revision
	for i := range ExpiryWrites {
		o = update(t, s, o, false, withSpec(map[string]any{"n": i}))
	}
	_, err := s.Watch(context.Background(), services.watch("", from))
	wantErr(t, fmt.Sprintf("Watch from %d after %d writes", from, ExpiryWrites), err, store.ErrExpired)
	// A recent revision still works.
	ch := watch(t, s, services.watch("", o.Revision))
	o = update(t, s, o, false, withSpec(map[string]any{"n": -1}))
	expectEvents(t, ch, fmt.Sprintf("MODIFIED default/x %d", o.Revision))
}

func testFinalizers(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := create(t, s, services.key("default", "x"), withFinalizers("test/a", "test/b"))
	ch := watch(t, s, services.watch("", o.Revision))

	d := del(t, s, o.Key, store.DeleteOptions{})
	if d.Meta.DeletionTimestamp == nil || d.Revision <= o.Revision {
		t.Fatalf("Delete of an object with finalizers returned %s", d.JSON)
	}
	expectEvents(t, ch, fmt.Sprintf("MODIFIED default/x %d", d.Revision))
	if got := get(t, s, o.Key); got.Meta.DeletionTimestamp == nil {
		t.Fatalf("object lost its deletionTimestamp: %s", got.JSON)
	}
	// Deleting again changes nothing.
	if again := del(t, s, o.Key, store.DeleteOptions{}); again.Revision != d.Revision {
		t.Errorf("second Delete: revision %d, want %d", again.Revision, d.Revision)
	}
	// While being deleted: no spec change, no new finalizer, the
	// deletionTimestamp stays.
	_, err := s.Update(ctx, o.Key, edit(t, d, withSpec(map[string]any{"n": 2})), store.UpdateOptions{})
	wantErr(t, "spec change while deleting", err, store.ErrInvalid)
	_, err = s.Update(ctx, o.Key, edit(t, d, withFinalizers("test/a", "test/b", "test/c")), store.UpdateOptions{})
	wantErr(t, "new finalizer while deleting", err, store.ErrInvalid)
	d2 := update(t, s, d, false, withFinalizers("test/b"), func(m map[string]any) { delete(meta(m), "deletionTimestamp") })
	if d2.Meta.DeletionTimestamp == nil || !slices.Equal(d2.Meta.Finalizers, []string{"test/b"}) {
		t.Fatalf("after removing one finalizer: %s", d2.JSON)
	}
	d3 := update(t, s, d2, true, withStatus(map[string]any{"cleaning": true}))
	// Removing the last finalizer deletes the object.
	last := update(t, s, d3, false, withFinalizers())
	_, err = s.Get(ctx, o.Key)
	wantErr(t, "Get after the last finalizer", err, store.ErrNotFound)
	if last.Revision <= d3.Revision {
		t.Errorf("last state revision %d, want > %d", last.Revision, d3.Revision)
	}
	expectEvents(t, ch,
		fmt.Sprintf("MODIFIED default/x %d", d2.Revision),
		fmt.Sprintf("MODIFIED default/x %d", d3.Revision),
		fmt.Sprintf("DELETED default/x %d", last.Revision))
}

func testCascadeBackground(t *testing.T, s store.Store) {
	ctx := context.Background()
	owner := create(t, s, services.key("default", "owner"))
	child := create(t, s, configs.key("default", "child"), withOwners(owner))
	grandchild := create(t, s, revisions.key("default", "grandchild"), withOwners(child))
	unrelated := create(t, s, revisions.key("default", "unrelated"))

	d := del(t, s, owner.Key, store.DeleteOptions{Propagation: store.Background})
	if d.Meta.UID != owner.Meta.UID {
		t.Errorf("Delete returned uid %s, want %s", d.Meta.UID, owner.Meta.UID)
	}
	_, err := s.Get(ctx, owner.Key)
	wantErr(t, "Get(owner) after Delete", err, store.ErrNotFound)
	for _, k := range []store.Key{child.Key, grandchild.Key} {
		CheckFor(t, waitTimeout, func() error {
			if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%v not collected: %v", k, err)
			}
			return nil
		})
	}
	get(t, s, unrelated.Key)
}

func testCascadeForeground(t *testing.T, s store.Store) {
	ctx := context.Background()
	owner := create(t, s, services.key("default", "owner"))
	child := create(t, s, configs.key("default", "child"), withOwners(owner), withFinalizers("test/hold"))
	grandchild := create(t, s, revisions.key("default", "grandchild"), withOwners(child))

	d := del(t, s, owner.Key, store.DeleteOptions{Propagation: store.Foreground})
	if d.Meta.DeletionTimestamp == nil || !slices.Contains(d.Meta.Finalizers, "foregroundDeletion") {
		t.Fatalf("foreground Delete returned %s", d.JSON)
	}
	// The grandchild goes, the child waits on its finalizer, the owner on
	// the child.
	CheckFor(t, waitTimeout, func() error {
		if _, err := s.Get(ctx, grandchild.Key); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("grandchild not collected: %v", err)
		}
		c, err := s.Get(ctx, child.Key)
		if err != nil {
			return err
		}
		// Deleted in the foreground, and done with its own dependents.
		if c.Meta.DeletionTimestamp == nil || !slices.Equal(c.Meta.Finalizers, []string{"test/hold"}) {
			return fmt.Errorf("child not settled: deletionTimestamp %v, finalizers %v", c.Meta.DeletionTimestamp, c.Meta.Finalizers)
		}
		return nil
	})
	if o := get(t, s, owner.Key); !slices.Contains(o.Meta.Finalizers, "foregroundDeletion") {
		t.Fatalf("owner lost its foregroundDeletion finalizer while a dependent remains: %s", o.JSON)
	}
	update(t, s, get(t, s, child.Key), false, withFinalizers())
	for _, k := range []store.Key{child.Key, owner.Key} {
		CheckFor(t, waitTimeout, func() error {
			if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%v not deleted: %v", k, err)
			}
			return nil
		})
	}

	// With no dependents, a foreground delete completes by itself.
	lone := create(t, s, services.key("default", "lone"))
	del(t, s, lone.Key, store.DeleteOptions{Propagation: store.Foreground})
	CheckFor(t, waitTimeout, func() error {
		if _, err := s.Get(ctx, lone.Key); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("lone owner not deleted: %v", err)
		}
		return nil
	})
}

func testCascadeOrphan(t *testing.T, s store.Store) {
	ctx := context.Background()
	owner := create(t, s, services.key("default", "owner"))
	other := create(t, s, services.key("default", "other"))
	child := create(t, s, configs.key("default", "child"), withOwners(owner, other))
	del(t, s, owner.Key, store.DeleteOptions{Propagation: store.Orphan})
	_, err := s.Get(ctx, owner.Key)
	wantErr(t, "Get(owner)", err, store.ErrNotFound)
	// Already orphaned when Delete returns.
	c := get(t, s, child.Key)
	if len(c.Meta.OwnerReferences) != 1 || c.Meta.OwnerReferences[0].UID != other.Meta.UID {
		t.Fatalf("child's ownerReferences = %v, want only %s", c.Meta.OwnerReferences, other.Meta.UID)
	}
	if c.Meta.Generation != 1 {
		t.Errorf("orphaning bumped generation to %d", c.Meta.Generation)
	}
}

func testTwoOwners(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := create(t, s, services.key("default", "a"))
	b := create(t, s, services.key("default", "b"))
	child := create(t, s, configs.key("default", "child"), withOwners(a, b))
	del(t, s, a.Key, store.DeleteOptions{})
	CheckFor(t, waitTimeout, func() error {
		c, err := s.Get(ctx, child.Key)
		if err != nil {
			return err
		}
		if len(c.Meta.OwnerReferences) != 1 || c.Meta.OwnerReferences[0].UID != b.Meta.UID {
			return fmt.Errorf("ownerReferences = %v, want only %s", c.Meta.OwnerReferences, b.Meta.UID)
		}
		return nil
	})
	del(t, s, b.Key, store.DeleteOptions{})
	CheckFor(t, waitTimeout, func() error {
		if _, err := s.Get(ctx, child.Key); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("child not collected: %v", err)
		}
		return nil
	})
}

func testPreconditions(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := create(t, s, services.key("default", "x"))
	o2 := update(t, s, o, false, withSpec(map[string]any{"n": 2}))
	tests := []struct {
		name string
		opts store.DeleteOptions
		want error
	}{
		{"uid", store.DeleteOptions{UID: "00000000-0000-4000-8000-000000000000"}, store.ErrConflict},
		{"resourceVersion", store.DeleteOptions{ResourceVersion: strconv.FormatInt(o.Revision, 10)}, store.ErrConflict},
		{"bad resourceVersion", store.DeleteOptions{ResourceVersion: "x"}, store.ErrInvalid},
		{"propagation", store.DeleteOptions{Propagation: "Sideways"}, store.ErrInvalid},
	}
	for _, tt := range tests {
		_, err := s.Delete(ctx, o.Key, tt.opts)
		wantErr(t, "Delete with wrong "+tt.name, err, tt.want)
	}
	get(t, s, o.Key)
	// An update carrying another uid conflicts too.
	_, err := s.Update(ctx, o.Key, edit(t, o2, func(m map[string]any) { meta(m)["uid"] = "00000000-0000-4000-8000-000000000000" }), store.UpdateOptions{})
	wantErr(t, "Update with another uid", err, store.ErrConflict)
	del(t, s, o.Key, store.DeleteOptions{UID: string(o.Meta.UID), ResourceVersion: strconv.FormatInt(o2.Revision, 10)})
	_, err = s.Get(ctx, o.Key)
	wantErr(t, "Get after Delete", err, store.ErrNotFound)
}
