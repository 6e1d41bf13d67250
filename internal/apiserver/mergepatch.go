package apiserver

import (
	"encoding/json"
	"fmt"
)

// mergePatch applies an RFC 7386 JSON merge patch to the JSON document doc.
func mergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("merge patch: decode document: %w", err)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, fmt.Errorf("merge patch: decode patch: %w", err)
	}
	out, err := json.Marshal(mergeValue(d, p))
	if err != nil {
		return nil, fmt.Errorf("merge patch: encode: %w", err)
	}
	return out, nil
}

// mergeValue is the MergePatch function of RFC 7386, section 2.
func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}
