// Package resources computes what a Route is reachable at: its host and
// its tags' hosts from Knative's domain and tag templates.
package resources

import (
	"bytes"
	"fmt"
	"strconv"
	"text/template"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
)

// Network holds the config-network and config-domain settings routes use.
type Network struct {
	// Domain is the default domain (config-domain); skiff's default is
	// "localhost", which curl and browsers resolve to loopback.
	Domain string
	// DomainTemplate is config-network domain-template.
	DomainTemplate string
	// TagTemplate is config-network tag-template.
	TagTemplate string
	// HTTPPort is the ingress port, added to URLs unless it is 80.
	HTTPPort int
}

// DefaultNetwork returns Knative's templates with skiff's domain.
func DefaultNetwork() Network {
	return Network{
		Domain:         "localhost",
		DomainTemplate: "{{.Name}}.{{.Namespace}}.{{.Domain}}",
		TagTemplate:    "{{.Tag}}-{{.Name}}",
		HTTPPort:       80,
	}
}

// Validate parses the templates, as Knative's config-network validation.
func (n Network) Validate() error {
	if _, err := template.New("domain").Parse(n.DomainTemplate); err != nil {
		return fmt.Errorf("config-network.domain-template: %w", err)
	}
	if _, err := template.New("tag").Parse(n.TagTemplate); err != nil {
		return fmt.Errorf("config-network.tag-template: %w", err)
	}
	return nil
}

type domainData struct {
	Name, Namespace, Domain string
	Annotations, Labels     map[string]string
}

// Host returns the route's host: the domain template applied to it.
func (n Network) Host(r *servingv1.Route) (string, error) {
	return n.host(r, r.Name)
}

// TagHost returns the host of a tag of the route: the tag template applied
// to the tag and the route's name, then the domain template.
func (n Network) TagHost(r *servingv1.Route, tag string) (string, error) {
	t, err := template.New("tag").Parse(n.TagTemplate)
	if err != nil {
		return "", fmt.Errorf("tag-template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct{ Tag, Name string }{tag, r.Name}); err != nil {
		return "", fmt.Errorf("tag-template: %w", err)
	}
	return n.host(r, b.String())
}

func (n Network) host(r *servingv1.Route, name string) (string, error) {
	t, err := template.New("domain").Parse(n.DomainTemplate)
	if err != nil {
		return "", fmt.Errorf("domain-template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, domainData{Name: name, Namespace: r.Namespace, Domain: n.Domain, Annotations: r.Annotations, Labels: r.Labels}); err != nil {
		return "", fmt.Errorf("domain-template: %w", err)
	}
	return b.String(), nil
}

// URL returns "http://host" with the ingress port when it is not 80.
func (n Network) URL(host string) string {
	if n.HTTPPort == 80 || n.HTTPPort == 0 {
		return "http://" + host
	}
	return "http://" + host + ":" + strconv.Itoa(n.HTTPPort)
}
