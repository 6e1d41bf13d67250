package gctune

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		env  *string // nil: GOGC unset
		want int
	}{
		{"unset", nil, Percent},
		{"set by the user", ptr("150"), 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := debug.SetGCPercent(100)
			t.Cleanup(func() { debug.SetGCPercent(orig) })
			if tt.env == nil {
				t.Setenv("GOGC", "")
				unsetenv(t, "GOGC")
			} else {
				t.Setenv("GOGC", *tt.env)
				// The runtime read GOGC at start; mimic it.
				debug.SetGCPercent(150)
			}
			prev := Apply()
			if prev != map[bool]int{true: 100, false: 150}[tt.env == nil] {
				t.Errorf("Apply returned %d as the previous setting", prev)
			}
			got := debug.SetGCPercent(100)
			if got != tt.want {
				t.Errorf("GC percent after Apply = %d, want %d", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// unsetenv removes k for the rest of the test; t.Setenv beforehand makes
// the testing package restore it.
func unsetenv(t *testing.T, k string) {
	t.Helper()
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}
