package apiserver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// wantsTable reports whether the Accept header asks for a meta.k8s.io/v1
// Table, as kubectl get does.
func wantsTable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if strings.Contains(part, "as=Table") && strings.Contains(part, "g=meta.k8s.io") && strings.Contains(part, "v=v1") && !strings.Contains(part, "v=v1beta1") {
			return true
		}
	}
	return false
}

// columnDefinitions returns NAME followed by the kind's printer columns.
func columnDefinitions(k *apis.Kind) []metav1.TableColumnDefinition {
	defs := []metav1.TableColumnDefinition{{
		Name: "Name", Type: "string", Format: "name",
		Description: "Name must be unique within a namespace.",
	}}
	for _, c := range k.Columns {
		typ, format := c.Type, ""
		if typ == "date" {
			typ, format = "string", "date"
		}
		defs = append(defs, metav1.TableColumnDefinition{
			Name: c.Name, Type: typ, Format: format, Priority: c.Priority, Description: c.Description,
		})
	}
	return defs
}

// tableRow builds the row of one object. now turns date columns into ages,
// as the Kubernetes API server does for custom resources. Only the top-level
// fields the columns read are decoded, and the row's object reuses the
// stored metadata bytes as they are.
func tableRow(k *apis.Kind, raw []byte, now time.Time) (metav1.TableRow, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return metav1.TableRow{}, fmt.Errorf("table row: %w", err)
	}
	obj := map[string]any{}
	for _, c := range k.Columns {
		field := topField(c.JSONPath)
		if _, done := obj[field]; done {
			continue
		}
		var v any
		if rawField, ok := top[field]; ok {
			if err := json.Unmarshal(rawField, &v); err != nil {
				return metav1.TableRow{}, fmt.Errorf("table row %s: %w", field, err)
			}
		}
		obj[field] = v
	}
	var meta struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(top["metadata"], &meta); err != nil {
		return metav1.TableRow{}, fmt.Errorf("table row metadata: %w", err)
	}
	cells := []any{meta.Name}
	for _, c := range k.Columns {
		v := evalJSONPath(obj, c.JSONPath)
		if c.Type == "date" {
			if s, ok := v.(string); ok {
				if ts, err := time.Parse(time.RFC3339, s); err == nil {
					v = duration.HumanDuration(now.Sub(ts))
				}
			}
		}
		if v == nil {
			v = ""
		}
		if c.Type == "integer" {
			if f, ok := v.(float64); ok {
				v = int64(f)
			}
		}
		cells = append(cells, v)
	}
	partial := make([]byte, 0, len(top["metadata"])+80)
	partial = append(partial, `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":`...)
	partial = append(partial, top["metadata"]...)
	partial = append(partial, '}')
	return metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Raw: partial}}, nil
}

// topField returns the first field of a column's JSONPath: "status" for
// ".status.conditions[...]".
func topField(path string) string {
	path = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(path), "{"), ".")
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return strings.TrimSuffix(path, "}")
}

// filterExpr matches the one filter form CRD printer columns use:
// [?(@.type=='Ready')].
var filterExpr = regexp.MustCompile(`^\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*['"]([^'"]*)['"]\)\]`)

// evalJSONPath evaluates the subset of JSONPath used by printer columns:
// dotted fields, [n] indexes and [?(@.key=='value')] filters. A path that
// does not resolve gives nil.
func evalJSONPath(obj any, path string) any {
	path = strings.TrimSpace(path)
	path = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(path, "{"), "}"), "$")
	cur := obj
	for len(path) > 0 && cur != nil {
		switch {
		case path[0] == '.':
			path = path[1:]
			// A segment ends at an unescaped '.' or at '['; "\." is a dot
			// inside a key, as in eventing\.knative\.dev/broker\.class.
			end := 0
			for end < len(path) && path[end] != '.' && path[end] != '[' {
				if path[end] == '\\' && end+1 < len(path) {
					end++
				}
				end++
			}
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[strings.ReplaceAll(path[:end], `\.`, ".")]
			path = path[end:]
		case strings.HasPrefix(path, "[?("):
			sub := filterExpr.FindStringSubmatch(path)
			if sub == nil {
				return nil
			}
			path = path[len(sub[0]):]
			list, ok := cur.([]any)
			if !ok {
				return nil
			}
			cur = nil
			for _, item := range list {
				if m, ok := item.(map[string]any); ok && fmt.Sprint(m[sub[1]]) == sub[2] {
					cur = m
					break
				}
			}
		case strings.HasPrefix(path, "['") || strings.HasPrefix(path, `["`):
			// A quoted key: ['serving\.knative\.dev/configuration'].
			q := path[1]
			end := strings.Index(path[2:], string(q)+"]")
			if end < 0 {
				return nil
			}
			k := strings.ReplaceAll(path[2:2+end], `\.`, ".")
			path = path[2+end+2:]
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			var idx int
			if _, err := fmt.Sscanf(path[1:end], "%d", &idx); err != nil {
				return nil
			}
			path = path[end+1:]
			list, ok := cur.([]any)
			if !ok || idx < 0 || idx >= len(list) {
				return nil
			}
			cur = list[idx]
		default:
			return nil
		}
	}
	return cur
}
