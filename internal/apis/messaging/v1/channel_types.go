package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Channel is a channel of whatever kind its channelTemplate names (the
// cluster's default channel unless set); it creates that backing channel
// and mirrors its address.
type Channel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the Channel.
	Spec ChannelSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the Channel.
	Status ChannelStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Channel)(nil)

// ChannelSpec is the desired state of a Channel.
type ChannelSpec struct {
	// ChannelTemplate names the backing channel's kind; defaulted, then
	// immutable.
	ChannelTemplate *ChannelTemplateSpec `json:"channelTemplate,omitempty,omitzero"`
	// ChannelableSpec holds subscribers, which users may not set on a
	// Channel, and the delivery of its subscriptions.
	duckv1.ChannelableSpec `json:",inline"`
}

// ChannelStatus is the observed state of a Channel.
type ChannelStatus struct {
	duckv1.ChannelableStatus `json:",inline"`
	// Channel refers to the backing channel.
	Channel *duckv1.KReference `json:"channel,omitempty,omitzero"`
}

// ChannelList is a list of Channels.
type ChannelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []Channel `json:"items"`
}
