// Package filter compiles a Trigger's filters into a matcher over
// CloudEvents, with Knative's semantics: the legacy `filter.attributes`
// exact match and the CloudEvents Subscriptions API dialects (exact, prefix,
// suffix, all, any, not and cesql) of `filters`.
//
// Filters are compiled once, when the Trigger is set, so that a bad CESQL
// expression is reported then and matching an event does no parsing.
package filter

import (
	"errors"
	"fmt"
	"strings"

	cesql "github.com/cloudevents/sdk-go/sql/v2"
	cesqlparser "github.com/cloudevents/sdk-go/sql/v2/parser"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
)

// ErrInvalidExpression is wrapped by Compile when the SDK's CESQL parser
// gives up on an expression by panicking rather than with a parse error.
var ErrInvalidExpression = errors.New("invalid cesql expression")

// Filter decides whether a Trigger keeps an event.
type Filter interface {
	// Match reports whether e passes the filter.
	Match(e event.Event) bool
}

// Compile builds the Filter of a Trigger from its `filter.attributes` and
// its Subscriptions API `filters`. As in Knative, a non-empty filters list
// wins and attributes is then ignored; every entry of the list must match.
// With neither, every event matches. A CESQL expression that does not parse
// is an error.
func Compile(attributes map[string]string, filters []eventingv1.SubscriptionsAPIFilter) (Filter, error) {
	if len(filters) > 0 {
		fs, err := compileList(filters, "filters")
		if err != nil {
			return nil, err
		}
		return allFilter(fs), nil
	}
	if len(attributes) == 0 {
		return passFilter{}, nil
	}
	attrs := make(map[string]string, len(attributes))
	for k, v := range attributes {
		attrs[k] = v
	}
	return attributesFilter(attrs), nil
}

// compileList compiles each entry of a filter list; path names the list in
// errors.
func compileList(list []eventingv1.SubscriptionsAPIFilter, path string) ([]Filter, error) {
	out := make([]Filter, 0, len(list))
	for i := range list {
		f, err := compileOne(&list[i], fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// compileOne compiles one Subscriptions API entry. Validation admits one
// dialect per entry; should several be set anyway, all of them must match,
// which is never looser than what the user wrote. An entry with no dialect
// matches everything, as Knative's NoFilter does.
func compileOne(f *eventingv1.SubscriptionsAPIFilter, path string) (Filter, error) {
	var parts allFilter
	for k, v := range f.Exact {
		parts = append(parts, attrFilter{name: k, value: v, op: opExact})
	}
	for k, v := range f.Prefix {
		parts = append(parts, attrFilter{name: k, value: v, op: opPrefix})
	}
	for k, v := range f.Suffix {
		parts = append(parts, attrFilter{name: k, value: v, op: opSuffix})
	}
	if len(f.All) > 0 {
		fs, err := compileList(f.All, path+".all")
		if err != nil {
			return nil, err
		}
		parts = append(parts, allFilter(fs))
	}
	if len(f.Any) > 0 {
		fs, err := compileList(f.Any, path+".any")
		if err != nil {
			return nil, err
		}
		parts = append(parts, anyFilter(fs))
	}
	if f.Not != nil {
		inner, err := compileOne(f.Not, path+".not")
		if err != nil {
			return nil, err
		}
		parts = append(parts, notFilter{inner: inner})
	}
	if f.SQL != "" {
		expr, err := parseSQL(f.SQL)
		if err != nil {
			return nil, fmt.Errorf("compile %s.cesql %q: %w", path, f.SQL, err)
		}
		parts = append(parts, sqlFilter{expr: expr})
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

// passFilter matches every event.
type passFilter struct{}

func (passFilter) Match(event.Event) bool { return true }

// attributesFilter is Knative's `filter.attributes`: every key must be an
// attribute of the event with exactly that value; the value "" asks only
// that the attribute be present and non-empty.
type attributesFilter map[string]string

func (a attributesFilter) Match(e event.Event) bool {
	for k, want := range a {
		got, ok := Attribute(e, k)
		if !ok {
			return false
		}
		if want == eventingv1.TriggerAnyFilter {
			if got == "" {
				return false
			}
			continue
		}
		if got != want {
			return false
		}
	}
	return true
}

// op is how an attrFilter compares an attribute value.
type op int

const (
	opExact op = iota
	opPrefix
	opSuffix
)

// attrFilter is one exact, prefix or suffix comparison. Comparisons are
// case-sensitive and a missing attribute never matches.
type attrFilter struct {
	name, value string
	op          op
}

func (f attrFilter) Match(e event.Event) bool {
	got, ok := Attribute(e, f.name)
	if !ok {
		return false
	}
	switch f.op {
	case opPrefix:
		return strings.HasPrefix(got, f.value)
	case opSuffix:
		return strings.HasSuffix(got, f.value)
	default:
		return got == f.value
	}
}

// allFilter matches when every nested filter does (and so when empty).
type allFilter []Filter

func (fs allFilter) Match(e event.Event) bool {
	for _, f := range fs {
		if !f.Match(e) {
			return false
		}
	}
	return true
}

// anyFilter matches when at least one nested filter does; an empty list
// constrains nothing and matches, as Knative's any filter does.
type anyFilter []Filter

func (fs anyFilter) Match(e event.Event) bool {
	if len(fs) == 0 {
		return true
	}
	for _, f := range fs {
		if f.Match(e) {
			return true
		}
	}
	return false
}

// notFilter inverts its nested filter.
type notFilter struct{ inner Filter }

func (f notFilter) Match(e event.Event) bool { return !f.inner.Match(e) }

// sqlFilter evaluates a CESQL expression. An evaluation error (a missing
// attribute, a failed cast, ...) means no match, and so does any result
// that is not the boolean true.
type sqlFilter struct{ expr cesql.Expression }

func (f sqlFilter) Match(e event.Event) (match bool) {
	// The SDK's evaluator is not known to panic, but its parser does on
	// some inputs; one bad event must not take the dispatcher down.
	defer func() {
		if r := recover(); r != nil {
			match = false
		}
	}()
	v, err := f.expr.Evaluate(e)
	if err != nil {
		return false
	}
	b, ok := v.(bool)
	return ok && b
}

// parseSQL parses a CESQL expression. The SDK's parser panics on some
// malformed input (for instance a comparison missing its right operand), so
// a panic is turned into an error.
func parseSQL(s string) (expr cesql.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			expr, err = nil, fmt.Errorf("%w: %v", ErrInvalidExpression, r)
		}
	}()
	return cesqlparser.Parse(s)
}

// Attribute returns the value of a context attribute or extension of e in
// its canonical string form, and whether e has it. Names are lower case in
// CloudEvents; they are looked up as given.
func Attribute(e event.Event, name string) (string, bool) {
	switch name {
	case "specversion":
		return e.SpecVersion(), e.SpecVersion() != ""
	case "id":
		return e.ID(), e.ID() != ""
	case "source":
		return e.Source(), e.Source() != ""
	case "type":
		return e.Type(), e.Type() != ""
	case "subject":
		return e.Subject(), e.Subject() != ""
	case "datacontenttype":
		return e.DataContentType(), e.DataContentType() != ""
	case "dataschema":
		return e.DataSchema(), e.DataSchema() != ""
	case "time":
		if e.Time().IsZero() {
			return "", false
		}
		s, err := types.Format(types.Timestamp{Time: e.Time()})
		return s, err == nil
	}
	v, ok := e.Extensions()[name]
	if !ok {
		return "", false
	}
	s, err := types.Format(v)
	if err != nil {
		return "", false
	}
	return s, true
}

var (
	_ Filter = passFilter{}
	_ Filter = attributesFilter(nil)
	_ Filter = attrFilter{}
	_ Filter = allFilter(nil)
	_ Filter = anyFilter(nil)
	_ Filter = notFilter{}
	_ Filter = sqlFilter{}
)
