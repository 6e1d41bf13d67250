package gctune

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		unset bool
		want  int
	}{
		{name: "unset", unset: true, want: Percent},
		{name: "empty", env: "", want: Percent},
		{name: "set by the user", env: "150", want: 100}, // left as the runtime had it
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := debug.SetGCPercent(100)
			t.Cleanup(func() { debug.SetGCPercent(orig) })
			t.Setenv("GOGC", tt.env)
			if tt.unset {
				if err := os.Unsetenv("GOGC"); err != nil {
					t.Fatal(err)
				}
			}
			Apply()
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Errorf("GC percent after Apply() = %d, want %d", got, tt.want)
			}
		})
	}
}
