package v1

import "context"

// SetDefaults fills in each target's latestRevision as Knative's webhook
// does.
func (r *Route) SetDefaults(context.Context) {
	r.Spec.setDefaults(false)
}

// setDefaults defaults the targets. Within a Service (defaultConfig), an
// empty split sends everything to the latest Revision.
func (rs *RouteSpec) setDefaults(defaultConfig bool) {
	if len(rs.Traffic) == 0 && defaultConfig {
		rs.Traffic = []TrafficTarget{{Percent: ptr[int64](100), LatestRevision: ptr(true)}}
	}
	for i := range rs.Traffic {
		if rs.Traffic[i].LatestRevision == nil {
			rs.Traffic[i].LatestRevision = ptr(rs.Traffic[i].RevisionName == "")
		}
	}
}
