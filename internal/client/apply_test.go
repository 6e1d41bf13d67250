package client

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestThreeWayMergePatch(t *testing.T) {
	tests := []struct {
		name                        string
		original, modified, current string
		want                        string
	}{
		{"unchanged", `{"a":1}`, `{"a":1}`, `{"a":1,"status":{"x":1}}`, `{}`},
		{"changed scalar", `{"a":1}`, `{"a":2}`, `{"a":1}`, `{"a":2}`},
		{"removed from manifest", `{"a":1,"b":2}`, `{"a":1}`, `{"a":1,"b":2}`, `{"b":null}`},
		{"removed already gone", `{"a":1,"b":2}`, `{"a":1}`, `{"a":1}`, `{}`},
		{"server field kept", `{"a":1}`, `{"a":1}`, `{"a":1,"s":3}`, `{}`},
		{"nested", `{"m":{"x":1,"y":2}}`, `{"m":{"x":3}}`, `{"m":{"x":1,"y":2,"z":9}}`, `{"m":{"x":3,"y":null}}`},
		{"list replaced", `{"l":[1,2]}`, `{"l":[1]}`, `{"l":[1,2]}`, `{"l":[1]}`},
		{"no original", ``, `{"a":1}`, `{"a":1,"b":2}`, `{}`},
		{"map where current has scalar", `{}`, `{"m":{"x":1}}`, `{"m":"s"}`, `{"m":{"x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ThreeWayMergePatch([]byte(tt.original), []byte(tt.modified), []byte(tt.current))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal([]byte(tt.want), &w)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("ThreeWayMergePatch() = %s, want %s", got, tt.want)
			}
		})
	}
}
