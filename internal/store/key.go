package store

import (
	"errors"
	"fmt"
	"strings"
)

// KV keys have four tokens separated by '.':
//
//	<group>.<resource>.<namespace>.<name>
//
// The core group is written "core" and a cluster-scoped object's namespace
// "_". A '.' inside the group or the name (DNS subdomains have them) is
// written '=', which DNS names never contain, so the encoding is reversible
// and every key is a legal NATS subject token sequence. The group "core" and
// the namespace "_" are therefore reserved.
const (
	coreGroupToken = "core"
	clusterNSToken = "_"
)

var errBadKey = errors.New("bad key")

// String formats k for messages, as "services.serving.knative.dev/default/x"
// ("namespaces/x" for a core, cluster-scoped object).
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Resource)
	if k.Group != "" {
		b.WriteByte('.')
		b.WriteString(k.Group)
	}
	if k.Namespace != "" {
		b.WriteByte('/')
		b.WriteString(k.Namespace)
	}
	b.WriteByte('/')
	b.WriteString(k.Name)
	return b.String()
}

// encodeKey returns the KV key of k, or an error when k cannot be encoded
// reversibly.
func encodeKey(k Key) (string, error) {
	switch {
	case k.Group == coreGroupToken:
		return "", fmt.Errorf("%w: group %q is reserved", errBadKey, k.Group)
	case k.Group != "" && !validToken(k.Group, true):
		return "", fmt.Errorf("%w: group %q", errBadKey, k.Group)
	case !validToken(k.Resource, false):
		return "", fmt.Errorf("%w: resource %q", errBadKey, k.Resource)
	case k.Namespace == clusterNSToken || (k.Namespace != "" && !validToken(k.Namespace, false)):
		return "", fmt.Errorf("%w: namespace %q", errBadKey, k.Namespace)
	case !validToken(k.Name, true):
		return "", fmt.Errorf("%w: name %q", errBadKey, k.Name)
	}
	var b strings.Builder
	b.Grow(len(k.Group) + len(k.Resource) + len(k.Namespace) + len(k.Name) + 8)
	if k.Group == "" {
		b.WriteString(coreGroupToken)
	} else {
		writeDotted(&b, k.Group)
	}
	b.WriteByte('.')
	b.WriteString(k.Resource)
	b.WriteByte('.')
	if k.Namespace == "" {
		b.WriteString(clusterNSToken)
	} else {
		b.WriteString(k.Namespace)
	}
	b.WriteByte('.')
	writeDotted(&b, k.Name)
	return b.String(), nil
}

// decodeKey is the inverse of encodeKey; it rejects every string encodeKey
// cannot produce.
func decodeKey(s string) (Key, error) {
	var tok [4]string
	rest := s
	for i := range 3 {
		j := strings.IndexByte(rest, '.')
		if j < 0 {
			return Key{}, fmt.Errorf("%w: %q has fewer than 4 tokens", errBadKey, s)
		}
		tok[i], rest = rest[:j], rest[j+1:]
	}
	tok[3] = rest
	for _, t := range tok {
		if !validEncodedToken(t) {
			return Key{}, fmt.Errorf("%w: %q", errBadKey, s)
		}
	}
	var k Key
	if tok[0] != coreGroupToken {
		k.Group = strings.ReplaceAll(tok[0], "=", ".")
	}
	k.Resource = tok[1]
	if tok[2] != clusterNSToken {
		k.Namespace = tok[2]
	}
	k.Name = strings.ReplaceAll(tok[3], "=", ".")
	// Tokens that decode to something encodeKey refuses (an '=' in the
	// resource, say) are not ours.
	if enc, err := encodeKey(k); err != nil || enc != s {
		return Key{}, fmt.Errorf("%w: %q does not round-trip", errBadKey, s)
	}
	return k, nil
}

func writeDotted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			b.WriteByte('=')
		} else {
			b.WriteByte(s[i])
		}
	}
}

// validToken reports whether s is a non-empty run of [A-Za-z0-9_-], plus '.'
// when dots is true.
func validToken(s string, dots bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.' && dots:
		default:
			return false
		}
	}
	return true
}

func validEncodedToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '=':
		default:
			return false
		}
	}
	return true
}
