package apiserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// patchRetries bounds how often a patch without a resourceVersion is
// re-applied after losing a race with another writer.
const patchRetries = 5

func (s *Server) key(req resourceRequest, name string) store.Key {
	return store.Key{Group: req.kind.Group, Resource: req.kind.Plural, Namespace: req.namespace, Name: name}
}

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	ctx := apis.WithConfig(r.Context(), s.cfg.APIConfig())
	var err error
	if req.kind.ReadOnly && r.Method != http.MethodGet {
		writeStatus(w, metav1.Status{Code: http.StatusMethodNotAllowed, Reason: metav1.StatusReasonMethodNotAllowed,
			Message: fmt.Sprintf("%s are managed by skiff and read-only through the API", req.kind.GroupResource())})
		return
	}
	switch {
	case r.Method == http.MethodGet && req.name == "":
		if q := r.URL.Query().Get("watch"); q == "true" || q == "1" {
			err = s.watch(ctx, w, r, req)
		} else {
			err = s.list(ctx, w, r, req)
		}
	case r.Method == http.MethodGet:
		err = s.get(ctx, w, r, req)
	case r.Method == http.MethodPost && req.name == "":
		err = s.create(ctx, w, r, req)
	case r.Method == http.MethodPut && req.name != "":
		err = s.update(ctx, w, r, req)
	case r.Method == http.MethodPatch && req.name != "":
		err = s.patch(ctx, w, r, req)
	case r.Method == http.MethodDelete && req.name != "":
		err = s.delete(ctx, w, r, req)
	case r.Method == http.MethodDelete:
		err = s.deleteCollection(ctx, w, r, req)
	default:
		writeStatus(w, methodNotAllowed(r.Method))
		return
	}
	if err != nil {
		st := toStatus(err, req.kind, req.name)
		if st.Code >= 500 {
			s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeStatus(w, st)
	}
}

func (s *Server) get(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	obj, err := s.cfg.Store.Get(ctx, s.key(req, req.name))
	if err != nil {
		return err
	}
	if wantsTable(r.Header.Get("Accept")) {
		return s.writeTable(w, req.kind, []*store.Object{obj}, obj.Revision)
	}
	writeRaw(w, http.StatusOK, obj.JSON)
	return nil
}

// listOptions reads the label and field selectors of a list or watch.
func listOptions(r *http.Request, req resourceRequest) (store.ListOptions, error) {
	q := r.URL.Query()
	opts := store.ListOptions{Group: req.kind.Group, Resource: req.kind.Plural, Namespace: req.namespace}
	if ls := q.Get("labelSelector"); ls != "" {
		sel, err := labels.Parse(ls)
		if err != nil {
			return opts, badRequest("unable to parse requirement: %v", err)
		}
		opts.Labels = sel
	}
	if fs := q.Get("fieldSelector"); fs != "" {
		sel, err := fields.ParseSelector(fs)
		if err != nil {
			return opts, badRequest("invalid field selector: %v", err)
		}
		nothing := false
		for _, rq := range sel.Requirements() {
			if rq.Operator != "=" && rq.Operator != "==" {
				return opts, badRequest("field selector operator %q is not supported for %s", rq.Operator, rq.Field)
			}
			switch rq.Field {
			case "metadata.name":
				opts.Name = rq.Value
			case "metadata.namespace":
				if opts.Namespace != "" && opts.Namespace != rq.Value {
					nothing = true // the path's namespace and the selector disagree
				}
				if opts.Namespace == "" {
					opts.Namespace = rq.Value
				}
			default:
				return opts, badRequest("field label not supported: %s", rq.Field)
			}
		}
		if nothing {
			opts.Name = "\x00" // a name no object has: the selection is empty
		}
	}
	return opts, nil
}

func (s *Server) list(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	opts, err := listOptions(r, req)
	if err != nil {
		return err
	}
	list, err := s.cfg.Store.List(ctx, opts)
	if err != nil {
		return err
	}
	if wantsTable(r.Header.Get("Accept")) {
		return s.writeTable(w, req.kind, list.Items, list.Revision)
	}
	var buf bytes.Buffer
	buf.Grow(64 + len(list.Items)*1024)
	fmt.Fprintf(&buf, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":"%d"},"items":[`,
		req.kind.ListKind, req.kind.GroupVersion(), list.Revision)
	for i, it := range list.Items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(it.JSON)
	}
	buf.WriteString("]}")
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

func (s *Server) table(k *apis.Kind, items []*store.Object, rev int64) (*metav1.Table, error) {
	t := &metav1.Table{
		TypeMeta:          metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"},
		ListMeta:          metav1.ListMeta{ResourceVersion: strconv.FormatInt(rev, 10)},
		ColumnDefinitions: columnDefinitions(k),
		Rows:              []metav1.TableRow{},
	}
	now := s.cfg.Now()
	for _, it := range items {
		row, err := tableRow(k, it.JSON, now)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func (s *Server) writeTable(w http.ResponseWriter, k *apis.Kind, items []*store.Object, rev int64) error {
	t, err := s.table(k, items, rev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) watch(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	lo, err := listOptions(r, req)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var rev int64
	if rv := q.Get("resourceVersion"); rv != "" {
		rev, err = strconv.ParseInt(rv, 10, 64)
		if err != nil || rev < 0 {
			return badRequest("invalid resourceVersion %q", rv)
		}
	}
	if ts := q.Get("timeoutSeconds"); ts != "" {
		n, err := strconv.Atoi(ts)
		if err != nil || n < 0 {
			return badRequest("invalid timeoutSeconds %q", ts)
		}
		if n > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(n)*time.Second)
			defer cancel()
		}
	}
	asTable := wantsTable(r.Header.Get("Accept"))
	events, err := s.cfg.Store.Watch(ctx, store.WatchOptions{
		Group: lo.Group, Resource: lo.Resource, Namespace: lo.Namespace, Labels: lo.Labels, Name: lo.Name, Revision: rev,
	})
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	if errors.Is(err, store.ErrExpired) {
		// As Kubernetes: the watch opens, then reports 410 as an ERROR event.
		w.WriteHeader(http.StatusOK)
		st := toStatus(err, req.kind, "")
		st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
		st.Status = metav1.StatusFailure
		obj, _ := json.Marshal(st)
		_, _ = fmt.Fprintf(w, "{\"type\":\"ERROR\",\"object\":%s}\n", obj)
		return nil
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			obj := ev.Object.JSON
			if asTable {
				t, err := s.table(req.kind, []*store.Object{ev.Object}, ev.Object.Revision)
				if err != nil {
					return nil
				}
				t.ColumnDefinitions = columnDefinitions(req.kind)
				obj, _ = json.Marshal(t)
			}
			buf.Reset()
			buf.WriteString(`{"type":"`)
			buf.WriteString(string(ev.Type))
			buf.WriteString(`","object":`)
			buf.Write(obj)
			buf.WriteString("}\n")
			if _, err := w.Write(buf.Bytes()); err != nil {
				return nil
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}

// generateNameSuffix returns five characters as Kubernetes' generateName adds.
func generateNameSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (s *Server) fieldValidation(r *http.Request) (fieldValidation, error) {
	return parseFieldValidation(r.URL.Query().Get("fieldValidation"))
}

func (s *Server) writeWarnings(w http.ResponseWriter, a *admitter) {
	for _, msg := range a.warnings {
		w.Header().Add("Warning", fmt.Sprintf("299 - %s", strconv.Quote(msg)))
	}
}

func (s *Server) ensureNamespace(ctx context.Context, k *apis.Kind, ns string) error {
	if !k.Namespaced {
		return nil
	}
	_, err := s.cfg.Store.Get(ctx, store.Key{Resource: "namespaces", Name: ns})
	if errors.Is(err, store.ErrNotFound) {
		return fromAPIError(apiNotFound("", "namespaces", ns))
	}
	return err
}

func (s *Server) create(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	if req.kind.Namespaced && req.namespace == "" {
		return badRequest("the namespace of the object must be given in the path")
	}
	if isApplyPatch(r) {
		return unsupportedApply()
	}
	fv, err := s.fieldValidation(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	a := &admitter{kind: req.kind, namespace: req.namespace, fv: fv}
	obj, err := a.decode(body)
	if err != nil {
		return err
	}
	if obj.GetResourceVersion() != "" {
		return badRequest("resourceVersion should not be set on objects to be created")
	}
	if obj.GetName() == "" && obj.GetGenerateName() != "" {
		obj.SetName(obj.GetGenerateName() + generateNameSuffix())
	}
	if obj.GetName() == "" {
		return invalid(req.kind, "", field.ErrorList{field.Required(field.NewPath("metadata", "name"), "name or generateName is required")})
	}
	req.name = obj.GetName()
	if err := s.ensureNamespace(ctx, req.kind, req.namespace); err != nil {
		return err
	}
	out, err := a.admit(ctx, obj, nil)
	if err != nil {
		return err
	}
	if dryRun(r) {
		s.writeWarnings(w, a)
		writeRaw(w, http.StatusCreated, out)
		return nil
	}
	stored, err := s.cfg.Store.Create(ctx, s.key(req, req.name), out)
	if err != nil {
		// The name came from the body, so the error must carry it.
		return &statusError{status: toStatus(err, req.kind, req.name)}
	}
	s.writeWarnings(w, a)
	writeRaw(w, http.StatusCreated, stored.JSON)
	return nil
}

// decodeStored decodes a stored object into its typed form.
func decodeStored(k *apis.Kind, obj *store.Object) (apis.Object, error) {
	typed := k.New()
	if err := json.Unmarshal(obj.JSON, typed); err != nil {
		return nil, fmt.Errorf("decode stored %s %s: %w", k.Kind, obj.Key.Name, err)
	}
	return typed, nil
}

// write runs admission for body against the stored object and updates it.
func (s *Server) write(ctx context.Context, req resourceRequest, a *admitter, body []byte, old *store.Object) (*store.Object, error) {
	obj, err := a.decode(body)
	if err != nil {
		return nil, err
	}
	if obj.GetName() != req.name {
		return nil, badRequest("the name of the object (%s) does not match the name on the URL (%s)", obj.GetName(), req.name)
	}
	var out []byte
	if req.status {
		// The status subresource: only status is taken, so no spec rules run.
		out, err = json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", req.kind.Kind, err)
		}
	} else {
		oldTyped, err := decodeStored(req.kind, old)
		if err != nil {
			return nil, err
		}
		out, err = a.admit(ctx, obj, oldTyped)
		if err != nil {
			return nil, err
		}
	}
	if a.dryRun {
		// Admitted, not stored: answer with what would be written.
		return &store.Object{Key: s.key(req, req.name), Revision: old.Revision, JSON: out}, nil
	}
	return s.cfg.Store.Update(ctx, s.key(req, req.name), out, store.UpdateOptions{Status: req.status})
}

func (s *Server) update(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	fv, err := s.fieldValidation(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	old, err := s.cfg.Store.Get(ctx, s.key(req, req.name))
	if err != nil {
		return err
	}
	a := &admitter{kind: req.kind, namespace: req.namespace, fv: fv, dryRun: dryRun(r)}
	stored, err := s.write(ctx, req, a, body, old)
	if err != nil {
		return err
	}
	s.writeWarnings(w, a)
	writeRaw(w, http.StatusOK, stored.JSON)
	return nil
}

func isApplyPatch(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/apply-patch")
}

func unsupportedApply() error {
	return newStatusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
		"the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (server-side apply is not available in skiff; use client-side kubectl apply)")
}

func dryRun(r *http.Request) bool { return len(r.URL.Query()["dryRun"]) > 0 }

func (s *Server) patch(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	switch ct {
	case "application/merge-patch+json":
	case "application/strategic-merge-patch+json":
		// Only the core kinds are advertised for strategic merge patch;
		// their fields are maps and scalars, where it equals a merge patch.
		if req.kind.Group != "" {
			return newStatusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
				fmt.Sprintf("strategic merge patch is not supported for %s; use a merge patch (--type=merge)", req.kind.GroupResource()))
		}
	case "application/apply-patch+yaml":
		return unsupportedApply()
	default:
		return newStatusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Sprintf("the body of the request was in an unknown format (%s) - accepted media types include: application/merge-patch+json", ct))
	}
	fv, err := s.fieldValidation(r)
	if err != nil {
		return err
	}
	patch, err := readBody(r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	var pm map[string]any
	if err := json.Unmarshal(patch, &pm); err != nil {
		return badRequest("decode merge patch: %v", err)
	}
	_, pinned := nestedString(pm, "metadata", "resourceVersion")
	for attempt := 0; ; attempt++ {
		old, err := s.cfg.Store.Get(ctx, s.key(req, req.name))
		if err != nil {
			return err
		}
		merged, err := mergePatch(old.JSON, patch)
		if err != nil {
			return badRequest("%v", err)
		}
		if !pinned {
			// Patch against what was read; a racing writer makes the store
			// answer Conflict and the patch is applied again.
			merged, err = setResourceVersion(merged, old.Revision)
			if err != nil {
				return badRequest("%v", err)
			}
		}
		a := &admitter{kind: req.kind, namespace: req.namespace, fv: fv, dryRun: dryRun(r)}
		stored, err := s.write(ctx, req, a, merged, old)
		if errors.Is(err, store.ErrConflict) && !pinned && attempt < patchRetries {
			continue
		}
		if err != nil {
			return err
		}
		s.writeWarnings(w, a)
		writeRaw(w, http.StatusOK, stored.JSON)
		return nil
	}
}

func nestedString(m map[string]any, path ...string) (string, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur, ok = mm[p]
		if !ok {
			return "", false
		}
	}
	s, ok := cur.(string)
	return s, ok
}

func setResourceVersion(doc []byte, rev int64) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("patched object is not a JSON object: %w", err)
	}
	md, ok := m["metadata"].(map[string]any)
	if !ok {
		md = map[string]any{}
		m["metadata"] = md
	}
	md["resourceVersion"] = strconv.FormatInt(rev, 10)
	return json.Marshal(m)
}

// deleteOptions reads a DeleteOptions body and query parameters.
func deleteOptions(r *http.Request) (store.DeleteOptions, error) {
	var opts store.DeleteOptions
	body, err := readLimited(r.Body, 64<<10)
	if err != nil {
		return opts, badRequest("read delete options: %v", err)
	}
	var do metav1.DeleteOptions
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &do); err != nil {
			return opts, badRequest("decode delete options: %v", err)
		}
	}
	if p := r.URL.Query().Get("propagationPolicy"); p != "" {
		pp := metav1.DeletionPropagation(p)
		do.PropagationPolicy = &pp
	}
	if do.OrphanDependents != nil && *do.OrphanDependents {
		opts.Propagation = store.Orphan
	}
	if do.PropagationPolicy != nil {
		switch p := store.Propagation(*do.PropagationPolicy); p {
		case store.Background, store.Foreground, store.Orphan:
			opts.Propagation = p
		default:
			return opts, badRequest("propagationPolicy %q is not supported; use Background, Foreground or Orphan", p)
		}
	}
	if do.Preconditions != nil {
		if do.Preconditions.UID != nil {
			opts.UID = string(*do.Preconditions.UID)
		}
		if do.Preconditions.ResourceVersion != nil {
			opts.ResourceVersion = *do.Preconditions.ResourceVersion
		}
	}
	return opts, nil
}

func (s *Server) delete(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	opts, err := deleteOptions(r)
	if err != nil {
		return err
	}
	if dryRun(r) {
		obj, err := s.cfg.Store.Get(ctx, s.key(req, req.name))
		if err != nil {
			return err
		}
		writeRaw(w, http.StatusOK, obj.JSON)
		return nil
	}
	if req.kind.Group == "" && req.kind.Plural == "namespaces" {
		if req.name == "default" {
			return newStatusError(http.StatusForbidden, metav1.StatusReasonForbidden,
				`namespaces "default" is forbidden: this namespace may not be deleted`)
		}
		if err := s.emptyNamespace(ctx, req.name); err != nil {
			return err
		}
	}
	obj, err := s.cfg.Store.Delete(ctx, s.key(req, req.name), opts)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, obj.JSON)
	return nil
}

// emptyNamespace deletes every namespaced object in ns, as Kubernetes'
// namespace controller does before a namespace goes away.
func (s *Server) emptyNamespace(ctx context.Context, ns string) error {
	if _, err := s.cfg.Store.Get(ctx, store.Key{Resource: "namespaces", Name: ns}); err != nil {
		return err
	}
	for _, gv := range s.gvOrder {
		for _, k := range s.byGV[gv] {
			if !k.Namespaced {
				continue
			}
			list, err := s.cfg.Store.List(ctx, store.ListOptions{Group: k.Group, Resource: k.Plural, Namespace: ns})
			if err != nil {
				return fmt.Errorf("empty namespace %s: %w", ns, err)
			}
			for _, it := range list.Items {
				if _, err := s.cfg.Store.Delete(ctx, it.Key, store.DeleteOptions{}); err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("empty namespace %s: %w", ns, err)
				}
			}
		}
	}
	return nil
}

func (s *Server) deleteCollection(ctx context.Context, w http.ResponseWriter, r *http.Request, req resourceRequest) error {
	opts, err := deleteOptions(r)
	if err != nil {
		return err
	}
	lo, err := listOptions(r, req)
	if err != nil {
		return err
	}
	list, err := s.cfg.Store.List(ctx, lo)
	if err != nil {
		return err
	}
	if dryRun(r) {
		writeRaw(w, http.StatusOK, []byte(fmt.Sprintf(`{"kind":%q,"apiVersion":%q,"metadata":{},"items":[]}`, req.kind.ListKind, req.kind.GroupVersion())))
		return nil
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"kind":%q,"apiVersion":%q,"metadata":{},"items":[`, req.kind.ListKind, req.kind.GroupVersion())
	n := 0
	for _, it := range list.Items {
		if req.kind.Group == "" && req.kind.Plural == "namespaces" {
			continue // namespaces are deleted one by one
		}
		obj, err := s.cfg.Store.Delete(ctx, it.Key, opts)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(obj.JSON)
		n++
	}
	buf.WriteString("]}")
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}
