package v1

import "context"

// DefaultPingSchedule is the schedule of a PingSource that sets none: every
// minute.
const DefaultPingSchedule = "* * * * *"

// SetDefaults sets the default schedule and fills in the sink's namespace.
func (s *PingSource) SetDefaults(ctx context.Context) {
	if s.Spec.Schedule == "" {
		s.Spec.Schedule = DefaultPingSchedule
	}
	s.Spec.Sink.SetDefaults(s.Namespace)
}
