package v1

import "testing"

func TestDiffPaths(t *testing.T) {
	tests := []struct {
		a, b any
		want string
	}{
		{map[string]any{"a": 1}, map[string]any{"a": 1}, ""},
		{map[string]any{"a": 1}, map[string]any{"a": 2}, "a"},
		{map[string]any{"a": []int{1, 2}}, map[string]any{"a": []int{1, 3}}, "a[1]"},
		{map[string]any{"a": []int{1}}, map[string]any{"a": []int{1, 3}}, "a"},
		{map[string]any{}, map[string]any{"b": map[string]int{"c": 1}}, "b"},
		{1, 2, "."},
	}
	for _, tc := range tests {
		if got := diffPaths(tc.a, tc.b); got != tc.want {
			t.Errorf("diffPaths(%v, %v) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
