package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
)

// The OpenAPI v3 documents exist for two readers. kubectl apply, create and
// edit look for a PATCH operation tagged with the kind's
// x-kubernetes-group-version-kind that lists the fieldValidation parameter;
// finding it, they leave validation to the server. kubectl explain reads
// components.schemas. The documents are built once, from the Go types.

type openAPIDocs struct {
	root []byte            // /openapi/v3
	byGV map[string][]byte // "apis/serving.knative.dev/v1" or "api/v1" -> document
}

func gvPath(gv string) string {
	if !strings.Contains(gv, "/") {
		return "api/" + gv
	}
	return "apis/" + gv
}

func buildOpenAPI(order []string, byGV map[string][]*apis.Kind) (*openAPIDocs, error) {
	docs := &openAPIDocs{byGV: map[string][]byte{}}
	paths := map[string]any{}
	for _, gv := range order {
		doc, err := json.Marshal(gvDocument(gv, byGV[gv]))
		if err != nil {
			return nil, err
		}
		p := gvPath(gv)
		docs.byGV[p] = doc
		sum := sha256.Sum256(doc)
		paths[p] = map[string]string{"serverRelativeURL": "/openapi/v3/" + p + "?hash=" + strings.ToUpper(hex.EncodeToString(sum[:16]))}
	}
	root, err := json.Marshal(map[string]any{"paths": paths})
	if err != nil {
		return nil, err
	}
	docs.root = root
	return docs, nil
}

func gvDocument(gv string, kinds []*apis.Kind) map[string]any {
	schemas := map[string]any{}
	paths := map[string]any{}
	prefix := "/" + gvPath(gv)
	for _, k := range kinds {
		gvk := map[string]string{"group": k.Group, "version": k.Version, "kind": k.Kind}
		name := schemaName(reflect.TypeOf(k.New()).Elem())
		sg := &schemaGen{schemas: schemas}
		sg.ref(reflect.TypeOf(k.New()).Elem())
		if s, ok := schemas[name].(map[string]any); ok {
			s["x-kubernetes-group-version-kind"] = []map[string]string{gvk}
		}
		item := prefix + "/" + k.Plural + "/{name}"
		if k.Namespaced {
			item = prefix + "/namespaces/{namespace}/" + k.Plural + "/{name}"
		}
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		body := map[string]any{"schema": ref}
		paths[item] = map[string]any{
			"get": map[string]any{
				"operationId": "read" + k.Kind, "x-kubernetes-action": "get",
				"x-kubernetes-group-version-kind": gvk,
				"responses": map[string]any{"200": map[string]any{"description": "OK",
					"content": map[string]any{"application/json": body}}},
			},
			"patch": map[string]any{
				"operationId": "patch" + k.Kind, "x-kubernetes-action": "patch",
				"x-kubernetes-group-version-kind": gvk,
				"parameters": []map[string]any{
					queryParam("dryRun"), queryParam("fieldManager"), queryParam("fieldValidation"),
				},
				"requestBody": map[string]any{"content": map[string]any{
					"application/merge-patch+json": map[string]any{"schema": map[string]any{"type": "object"}},
				}},
				"responses": map[string]any{"200": map[string]any{"description": "OK",
					"content": map[string]any{"application/json": body}}},
			},
		}
	}
	return map[string]any{
		"openapi":    "3.0.0",
		"info":       map[string]string{"title": "skiff", "version": gv},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
}

func queryParam(name string) map[string]any {
	return map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string", "uniqueItems": true}}
}

// schemaName names a Go type as Kubernetes names its definitions, from the
// package path: io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta,
// skiff.internal.apis.serving.v1.Service.
func schemaName(t reflect.Type) string {
	p := t.PkgPath()
	p = strings.TrimPrefix(p, "github.com/skiff-sh/")
	p = strings.Replace(p, "k8s.io/", "io.k8s.", 1)
	return strings.ReplaceAll(p, "/", ".") + "." + t.Name()
}

// schemaGen turns Go types into OpenAPI schemas; named structs become
// components so that recursive types (trigger filters) stay finite.
type schemaGen struct{ schemas map[string]any }

var (
	jsonMarshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	rawMessage    = reflect.TypeOf(json.RawMessage(nil))
)

func (g *schemaGen) ref(t reflect.Type) map[string]any {
	name := schemaName(t)
	if _, ok := g.schemas[name]; !ok {
		g.schemas[name] = map[string]any{} // placeholder against recursion
		g.schemas[name] = g.structSchema(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.String() {
	case "v1.Time", "v1.MicroTime":
		return map[string]any{"type": "string", "format": "date-time"}
	case "resource.Quantity", "intstr.IntOrString":
		return map[string]any{"x-kubernetes-int-or-string": true}
	case "types.UID":
		return map[string]any{"type": "string"}
	}
	if t == rawMessage || t.String() == "runtime.RawExtension" {
		return map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	}
	if t.Kind() == reflect.Struct && (t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler)) {
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() != "" {
			return g.ref(t)
		}
		return g.structSchema(t)
	}
	return map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.addFields(t, props)
	return map[string]any{"type": "object", "properties": props}
}

func (g *schemaGen) addFields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.addFields(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/openapi/v3"), "/")
	if p == "" {
		writeRaw(w, http.StatusOK, s.openapi.root)
		return
	}
	doc, ok := s.openapi.byGV[p]
	if !ok {
		writeStatus(w, notFoundPath())
		return
	}
	writeRaw(w, http.StatusOK, doc)
}
