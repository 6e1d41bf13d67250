// Package config reads skiff's cluster-wide settings file. The file holds
// what Knative keeps in its config-* ConfigMaps, under the same names and
// keys, so that a Knative operator's knowledge carries over:
//
//	config-defaults:
//	  revision-timeout-seconds: "300"
//	config-autoscaler:
//	  stable-window: 60s
//	config-network:
//	  domain-template: "{{.Name}}.{{.Namespace}}.{{.Domain}}"
//
// Values are strings, as in a ConfigMap's data. Each subsystem parses the
// sections it owns; this package checks the shape and parses the sections
// that API defaulting needs.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
	"sigs.k8s.io/yaml"
)

// Sections are the ConfigMap names the file may hold.
var Sections = []string{
	"config-autoscaler",
	"config-br-defaults",
	"config-defaults",
	"config-deployment",
	"config-domain",
	"config-features",
	"config-gc",
	"config-network",
	"config-observability",
	"config-eventing",
	"config-skiff",
}

// File is the parsed settings file: section -> key -> value.
type File map[string]map[string]string

// Load reads path. A missing file is an empty configuration.
func Load(path string) (File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return f, nil
}

// Parse parses the YAML (or JSON) text of a settings file.
func Parse(data []byte) (File, error) {
	var raw map[string]map[string]any
	if err := yaml.UnmarshalStrict(data, &raw); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	f := File{}
	for name, kv := range raw {
		if !known(name) {
			return nil, fmt.Errorf("unknown section %q; known sections: %s", name, strings.Join(Sections, ", "))
		}
		sec := map[string]string{}
		for k, v := range kv {
			switch v := v.(type) {
			case string:
				sec[k] = v
			case nil:
				sec[k] = ""
			case map[string]any, []any:
				return nil, fmt.Errorf("%s.%s: value must be a string, number or boolean", name, k)
			default:
				sec[k] = fmt.Sprint(v)
			}
		}
		f[name] = sec
	}
	if _, err := f.APIConfig(); err != nil {
		return nil, err
	}
	return f, nil
}

func known(name string) bool { return slices.Contains(Sections, name) }

// Get returns section[key] and whether it is set.
func (f File) Get(section, key string) (string, bool) {
	v, ok := f[section][key]
	return v, ok
}

// APIConfig returns the settings API defaulting and validation read, from
// config-defaults, config-autoscaler and config-br-defaults over Knative's
// defaults.
func (f File) APIConfig() (*apis.Config, error) {
	c := apis.DefaultConfig()
	ints := []struct {
		section, key string
		dst          *int64
	}{
		{"config-defaults", "revision-timeout-seconds", &c.RevisionTimeoutSeconds},
		{"config-defaults", "max-revision-timeout-seconds", &c.MaxRevisionTimeoutSeconds},
		{"config-defaults", "revision-response-start-timeout-seconds", &c.RevisionResponseStartTimeoutSeconds},
		{"config-defaults", "revision-idle-timeout-seconds", &c.RevisionIdleTimeoutSeconds},
		{"config-defaults", "container-concurrency", &c.ContainerConcurrency},
		{"config-defaults", "container-concurrency-max-limit", &c.ContainerConcurrencyMaxLimit},
	}
	for _, it := range ints {
		if v, ok := f.Get(it.section, it.key); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s.%s: want a non-negative integer, got %q", it.section, it.key, v)
			}
			*it.dst = n
		}
	}
	if c.RevisionTimeoutSeconds > c.MaxRevisionTimeoutSeconds {
		return nil, fmt.Errorf("config-defaults.revision-timeout-seconds (%d) cannot be greater than max-revision-timeout-seconds (%d)",
			c.RevisionTimeoutSeconds, c.MaxRevisionTimeoutSeconds)
	}
	if v, ok := f.Get("config-defaults", "container-name-template"); ok && v != "" {
		c.ContainerNameTemplate = v
	}
	if v, ok := f.Get("config-autoscaler", "allow-zero-initial-scale"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("config-autoscaler.allow-zero-initial-scale: want true or false, got %q", v)
		}
		c.AllowZeroInitialScale = b
	}
	if v, ok := f.Get("config-autoscaler", "max-scale-limit"); ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("config-autoscaler.max-scale-limit: want a non-negative integer, got %q", v)
		}
		c.MaxScaleLimit = int32(n)
	}
	return c, nil
}
