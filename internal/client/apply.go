package client

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// LastAppliedAnnotation holds the manifest last applied, as kubectl keeps it.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// ThreeWayMergePatch returns the RFC 7386 merge patch that makes current
// match modified, and removes what original (the last applied manifest) had
// and modified no longer has. Fields that only current has (set by the
// server or by others) are left alone. Lists are replaced whole. An empty
// patch ("{}") means nothing to do.
func ThreeWayMergePatch(original, modified, current []byte) ([]byte, error) {
	var o, m, c map[string]any
	if len(original) > 0 {
		if err := json.Unmarshal(original, &o); err != nil {
			return nil, fmt.Errorf("three-way patch: decode original: %w", err)
		}
	}
	if err := json.Unmarshal(modified, &m); err != nil {
		return nil, fmt.Errorf("three-way patch: decode modified: %w", err)
	}
	if err := json.Unmarshal(current, &c); err != nil {
		return nil, fmt.Errorf("three-way patch: decode current: %w", err)
	}
	return json.Marshal(threeWay(o, m, c))
}

func threeWay(orig, mod, cur map[string]any) map[string]any {
	patch := map[string]any{}
	for k, mv := range mod {
		cv, inCur := cur[k]
		if mm, ok := mv.(map[string]any); ok {
			if cm, ok := cv.(map[string]any); ok {
				om, _ := orig[k].(map[string]any)
				if sub := threeWay(om, mm, cm); len(sub) > 0 {
					patch[k] = sub
				}
				continue
			}
		}
		if !inCur || !reflect.DeepEqual(mv, cv) {
			patch[k] = mv
		}
	}
	for k := range orig {
		if _, kept := mod[k]; kept {
			continue
		}
		if _, inCur := cur[k]; inCur {
			patch[k] = nil
		}
	}
	return patch
}
