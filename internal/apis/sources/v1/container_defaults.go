package v1

import (
	"context"
	"strconv"
)

// SetDefaults names unnamed containers "<source name>-<index>" and fills in
// the sink's namespace.
func (s *ContainerSource) SetDefaults(ctx context.Context) {
	for i := range s.Spec.Template.Spec.Containers {
		if c := &s.Spec.Template.Spec.Containers[i]; c.Name == "" {
			c.Name = s.Name + "-" + strconv.Itoa(i)
		}
	}
	s.Spec.Sink.SetDefaults(s.Namespace)
}
