// Package registry lists every resource kind skiff serves, gathered from the
// per-group API packages.
package registry

import (
	"github.com/skiff-sh/skiff/internal/apis"
	autoscalingv1alpha1 "github.com/skiff-sh/skiff/internal/apis/autoscaling/v1alpha1"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	flowsv1 "github.com/skiff-sh/skiff/internal/apis/flows/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	servingv1beta1 "github.com/skiff-sh/skiff/internal/apis/serving/v1beta1"
	sourcesv1 "github.com/skiff-sh/skiff/internal/apis/sources/v1"
)

// All returns every kind, core first.
func All() []apis.Kind {
	var all []apis.Kind
	for _, kinds := range [][]apis.Kind{
		corev1.Kinds(),
		servingv1.Kinds(),
		servingv1beta1.Kinds(),
		eventingv1.Kinds(),
		messagingv1.Kinds(),
		flowsv1.Kinds(),
		sourcesv1.Kinds(),
		autoscalingv1alpha1.Kinds(),
	} {
		all = append(all, kinds...)
	}
	return all
}
