package filter

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
)

type apiFilter = eventingv1.SubscriptionsAPIFilter

// testEvent is the event the tables match against unless a case builds its
// own: a full set of optional attributes and extensions of every type.
func testEvent() event.Event {
	e := event.New()
	e.SetID("id-1")
	e.SetSource("https://example.com/source")
	e.SetType("dev.knative.example.created")
	e.SetSubject("orders/42")
	e.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	e.SetExtension("myext", "custom-value")
	e.SetExtension("exint", 42)
	e.SetExtension("exbool", true)
	e.SetExtension("empty", "")
	_ = e.SetData(event.ApplicationJSON, map[string]string{"a": "b"})
	return e
}

func TestAttributes(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]string
		want  bool
	}{
		{"nil matches all", nil, true},
		{"type exact", map[string]string{"type": "dev.knative.example.created"}, true},
		{"type differs", map[string]string{"type": "dev.knative.example.deleted"}, false},
		{"case-sensitive", map[string]string{"type": "DEV.knative.example.created"}, false},
		{"all keys must match", map[string]string{"type": "dev.knative.example.created", "source": "x"}, false},
		{"all keys match", map[string]string{"type": "dev.knative.example.created", "source": "https://example.com/source"}, true},
		{"extension", map[string]string{"myext": "custom-value"}, true},
		{"int extension as string", map[string]string{"exint": "42"}, true},
		{"bool extension as string", map[string]string{"exbool": "true"}, true},
		{"any value present", map[string]string{"subject": ""}, true},
		{"any value missing", map[string]string{"dataschema": ""}, false},
		{"any value empty extension", map[string]string{"empty": ""}, false},
		{"missing extension", map[string]string{"nope": "x"}, false},
		{"time", map[string]string{"time": "2026-01-02T03:04:05Z"}, true},
		{"specversion", map[string]string{"specversion": "1.0"}, true},
		{"datacontenttype", map[string]string{"datacontenttype": "application/json"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(tt.attrs, nil)
			if err != nil {
				t.Fatalf("Compile(%v) error: %v", tt.attrs, err)
			}
			if got := f.Match(testEvent()); got != tt.want {
				t.Errorf("Compile(%v).Match() = %v, want %v", tt.attrs, got, tt.want)
			}
		})
	}
}

func TestSubscriptionsAPI(t *testing.T) {
	exact := func(k, v string) apiFilter { return apiFilter{Exact: map[string]string{k: v}} }
	tests := []struct {
		name    string
		attrs   map[string]string
		filters []apiFilter
		want    bool
	}{
		{"exact", nil, []apiFilter{exact("type", "dev.knative.example.created")}, true},
		{"exact differs", nil, []apiFilter{exact("type", "dev.knative.example")}, false},
		{"exact case-sensitive", nil, []apiFilter{exact("source", "HTTPS://example.com/source")}, false},
		{"exact extension", nil, []apiFilter{exact("myext", "custom-value")}, true},
		{"exact missing", nil, []apiFilter{exact("nope", "")}, false},
		{"prefix", nil, []apiFilter{{Prefix: map[string]string{"type": "dev.knative."}}}, true},
		{"prefix differs", nil, []apiFilter{{Prefix: map[string]string{"type": "dev.Knative."}}}, false},
		{"prefix extension", nil, []apiFilter{{Prefix: map[string]string{"myext": "custom"}}}, true},
		{"prefix missing", nil, []apiFilter{{Prefix: map[string]string{"nope": "x"}}}, false},
		{"suffix", nil, []apiFilter{{Suffix: map[string]string{"type": ".created"}}}, true},
		{"suffix differs", nil, []apiFilter{{Suffix: map[string]string{"type": ".deleted"}}}, false},
		{"suffix missing", nil, []apiFilter{{Suffix: map[string]string{"dataschema": ""}}}, false},
		{"every entry must match", nil, []apiFilter{exact("type", "dev.knative.example.created"), exact("subject", "x")}, false},
		{"every entry matches", nil, []apiFilter{exact("type", "dev.knative.example.created"), exact("subject", "orders/42")}, true},
		{"filters win over attributes", map[string]string{"type": "other"}, []apiFilter{exact("subject", "orders/42")}, true},
		{"filters win over attributes (fail)", map[string]string{"type": "dev.knative.example.created"}, []apiFilter{exact("subject", "x")}, false},
		{"all", nil, []apiFilter{{All: []apiFilter{exact("subject", "orders/42"), {Prefix: map[string]string{"source": "https://"}}}}}, true},
		{"all one fails", nil, []apiFilter{{All: []apiFilter{exact("subject", "orders/42"), {Prefix: map[string]string{"source": "http://"}}}}}, false},
		{"any", nil, []apiFilter{{Any: []apiFilter{exact("subject", "x"), exact("subject", "orders/42")}}}, true},
		{"any none", nil, []apiFilter{{Any: []apiFilter{exact("subject", "x"), exact("subject", "y")}}}, false},
		{"not", nil, []apiFilter{{Not: &apiFilter{Exact: map[string]string{"type": "dev.knative.example.deleted"}}}}, true},
		{"not (fail)", nil, []apiFilter{{Not: &apiFilter{Exact: map[string]string{"type": "dev.knative.example.created"}}}}, false},
		{"not missing attribute", nil, []apiFilter{{Not: &apiFilter{Exact: map[string]string{"nope": "x"}}}}, true},
		{"nested", nil, []apiFilter{{All: []apiFilter{
			{Any: []apiFilter{exact("type", "a"), {Suffix: map[string]string{"type": "created"}}}},
			{Not: &apiFilter{SQL: "exint > 100"}},
		}}}, true},
		{"empty entry matches", nil, []apiFilter{{}}, true},
		{"cesql", nil, []apiFilter{{SQL: "type = 'dev.knative.example.created' AND exint = 42"}}, true},
		{"cesql false", nil, []apiFilter{{SQL: "exint < 10"}}, false},
		{"cesql non-boolean result", nil, []apiFilter{{SQL: "exint + 1"}}, false},
		{"cesql string result", nil, []apiFilter{{SQL: "'true'"}}, false},
		{"cesql missing attribute", nil, []apiFilter{{SQL: "nope = 'x'"}}, false},
		{"cesql in nested", nil, []apiFilter{{Any: []apiFilter{{SQL: "subject LIKE 'orders/%'"}}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(tt.attrs, tt.filters)
			if err != nil {
				t.Fatalf("Compile() error: %v", err)
			}
			if got := f.Match(testEvent()); got != tt.want {
				t.Errorf("Compile(%v, %+v).Match() = %v, want %v", tt.attrs, tt.filters, got, tt.want)
			}
		})
	}
}

// TestCESQLTCK runs representative cases of the CloudEvents CESQL TCK
// (cloudevents/spec cesql/tck/*.yaml) through Compile. A case matches when
// the TCK's result is true with no error; every error case is no match.
func TestCESQLTCK(t *testing.T) {
	ev := func(ext map[string]any, mut func(*event.Event)) event.Event {
		e := event.New()
		e.SetID("myId")
		e.SetSource("http://localhost/source")
		e.SetType("myType")
		for k, v := range ext {
			e.SetExtension(k, v)
		}
		if mut != nil {
			mut(&e)
		}
		return e
	}
	tests := []struct {
		file, name, expr string
		event            event.Event
		want             bool
	}{
		{"like_expression", "Percentage operator (2)", "'azbc' LIKE 'a%b%c'", ev(nil, nil), true},
		{"like_expression", "Underscore operator (3)", "'abzc' LIKE 'a_b_c'", ev(nil, nil), false},
		{"like_expression", "Exact match (negate)", "'abc' NOT LIKE 'abc'", ev(nil, nil), false},
		{"exists_expression", "required attributes always exist", "EXISTS specversion AND EXISTS id AND EXISTS type AND EXISTS SOURCE", ev(nil, nil), true},
		{"exists_expression", "optional attribute absent", "EXISTS time", ev(nil, nil), false},
		{"exists_expression", "optional attribute absent (negated)", "NOT EXISTS time", ev(nil, nil), true},
		{"exists_expression", "optional extension available", "EXISTS myext", ev(map[string]any{"myext": "my value"}, nil), true},
		{"in_expression", "int in int set", "123 IN (1, 2, 3, 12, 13, 23, 123)", ev(nil, nil), true},
		{"in_expression", "int not in int set", "123 NOT IN (1, 2, 3, 12, 13, 23, 123)", ev(nil, nil), false},
		{"in_expression", "string in string set", "'abc' IN ('abc', \"bcd\")", ev(nil, nil), true},
		{"binary_math_operators", "Operator precedence", "4 + 1 * 2 = 6", ev(nil, nil), true},
		{"binary_math_operators", "Division by zero", "5 / 0 = 0", ev(nil, nil), false},
		{"binary_math_operators", "Missing attribute in division", "missing / 0 = 0", ev(nil, nil), false},
		{"casting_functions", "Cast '1' to integer", "INT('1') = 1", ev(nil, nil), true},
		{"casting_functions", "Invalid cast from string to int", "INT('ABC') = 0", ev(nil, nil), false},
		{"casting_functions", "Cast 'TRUE' to boolean", "BOOL('TRUE')", ev(nil, nil), true},
		{"string_builtin_functions", "LENGTH (1)", "LENGTH('abc') = 3", ev(nil, nil), true},
		{"string_builtin_functions", "CONCAT_WS (1)", "CONCAT_WS(',', 'a', 'b', 'c') = 'a,b,c'", ev(nil, nil), true},
		{"string_builtin_functions", "UPPER", "UPPER(type) = 'MYTYPE'", ev(nil, nil), true},
		{"binary_comparison_operators", "Equality with missing attribute", "missing = 2", ev(nil, nil), false},
		{"binary_comparison_operators", "implicit casting with string as right type", "true = 'TRUE'", ev(nil, nil), false},
		{"subscriptions_api_recreations", "Prefix filter on string extension", "myext LIKE 'custom%'", ev(map[string]any{"myext": "customext"}, nil), true},
		{"subscriptions_api_recreations", "Prefix filter on missing string extension", "myext LIKE 'custom%'", ev(nil, nil), false},
		{"subscriptions_api_recreations", "Suffix filter (1)", "type like '%.error'", ev(nil, func(e *event.Event) { e.SetType("com.github.error") }), true},
		{"case_sensitivity", "TRUE", "TRUE", ev(nil, nil), true},
		{"context_attributes_access", "Access to optional attribute", "subject = 'mySubject'", ev(nil, func(e *event.Event) { e.SetSubject("mySubject") }), true},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.name, func(t *testing.T) {
			f, err := Compile(nil, []apiFilter{{SQL: tt.expr}})
			if err != nil {
				t.Fatalf("Compile(%q) error: %v", tt.expr, err)
			}
			if got := f.Match(tt.event); got != tt.want {
				t.Errorf("Compile(%q).Match() = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		filters []apiFilter
		wantSub string
	}{
		{"parse error", []apiFilter{{SQL: "type = "}}, "filters[0].cesql"},
		{"unbalanced", []apiFilter{{SQL: "(a = 'b'"}}, "filters[0].cesql"},
		{"nested parse error", []apiFilter{exactFilter(), {All: []apiFilter{{Not: &apiFilter{SQL: "1 +"}}}}}, "filters[1].all[0].not.cesql"},
		{"parse error in any", []apiFilter{{Any: []apiFilter{{SQL: "LIKE LIKE"}}}}, "filters[0].any[0].cesql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(nil, tt.filters)
			if err == nil || !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("Compile(%+v) error = %v, want one naming %q", tt.filters, err, tt.wantSub)
			}
		})
	}
}

func exactFilter() apiFilter { return apiFilter{Exact: map[string]string{"type": "x"}} }
