package v1

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// maxDiffPaths bounds how many changed paths a message lists.
const maxDiffPaths = 8

// diffPaths returns the JSON paths at which old and new differ, such as
// "spec.containers[0].image", joined by ", ", or "" when they are equal.
// It stands in for the (-old +new) diff Knative prints.
func diffPaths(old, new any) string {
	var a, b any
	if err := roundTrip(old, &a); err != nil {
		return err.Error()
	}
	if err := roundTrip(new, &b); err != nil {
		return err.Error()
	}
	var paths []string
	walkDiff("", a, b, &paths)
	slices.Sort(paths)
	if len(paths) > maxDiffPaths {
		paths = append(paths[:maxDiffPaths], fmt.Sprintf("and %d more", len(paths)-maxDiffPaths))
	}
	return strings.Join(paths, ", ")
}

func roundTrip(v any, out *any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	return json.Unmarshal(b, out)
}

func walkDiff(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for k, av := range am {
			walkDiff(join(path, k), av, bm[k], out)
		}
		for k, bv := range bm {
			if _, ok := am[k]; !ok {
				walkDiff(join(path, k), nil, bv, out)
			}
		}
		return
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		for i := range as {
			walkDiff(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		if path == "" {
			path = "."
		}
		*out = append(*out, path)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
