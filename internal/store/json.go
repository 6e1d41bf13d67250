package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
)

// Stored layout. A value in the KV is the object's JSON with "metadata"
// first and without metadata.resourceVersion (the revision is not known
// before the write):
//
//	{"metadata":{...},"apiVersion":...}
//
// The cache turns it into the JSON handed out by splicing the revision in
// front of the metadata's first field:
//
//	{"metadata":{"resourceVersion":"42",...},"apiVersion":...}
//
// so that reads never re-encode and a Deleted event's copy with another
// revision is a cheap splice too. Every other key is sorted, as
// encoding/json writes maps, which makes the stored form canonical: two
// objects equal in meaning encode to the same bytes.
const (
	storedPrefix = `{"metadata":{`
	cachedPrefix = `{"metadata":{"resourceVersion":"`
)

// decodeObject decodes a JSON object, keeping numbers as written.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	if m == nil {
		return nil, errors.New("decode object: not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode object: data after the object")
	}
	return m, nil
}

// metadataOf returns obj's "metadata" map, adding an empty one when absent.
func metadataOf(obj map[string]any) (map[string]any, error) {
	switch m := obj["metadata"].(type) {
	case map[string]any:
		return m, nil
	case nil:
		meta := map[string]any{}
		obj["metadata"] = meta
		return meta, nil
	default:
		return nil, errors.New("metadata is not an object")
	}
}

// encodeStored encodes obj in the stored layout. obj must have a metadata
// map without resourceVersion. obj is not modified.
func encodeStored(obj map[string]any) ([]byte, error) {
	meta := obj["metadata"]
	delete(obj, "metadata")
	defer func() { obj["metadata"] = meta }()

	var buf bytes.Buffer
	buf.WriteString(`{"metadata":`)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(meta); err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	mark := buf.Len()
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	buf.Truncate(buf.Len() - 1)
	b := buf.Bytes()
	// b[mark:] is the rest of the object, "{...}": drop its '{' and join.
	if len(b)-mark == 2 { // "{}"
		return append(b[:mark], '}'), nil
	}
	b[mark] = ','
	return b, nil
}

// cachedJSON returns the JSON handed out for a stored value at revision rev.
func cachedJSON(value []byte, rev int64) ([]byte, error) {
	if !bytes.HasPrefix(value, []byte(storedPrefix)) {
		// Not written by this package: normalise it.
		obj, err := decodeObject(value)
		if err != nil {
			return nil, err
		}
		meta, err := metadataOf(obj)
		if err != nil {
			return nil, err
		}
		delete(meta, "resourceVersion")
		if value, err = encodeStored(obj); err != nil {
			return nil, err
		}
	}
	return spliceRevision(value[len(storedPrefix):], rev), nil
}

// spliceRevision writes the cached form from body, the stored (or cached)
// value after the metadata's opening brace and its revision field.
func spliceRevision(body []byte, rev int64) []byte {
	out := make([]byte, 0, len(cachedPrefix)+20+len(body))
	out = append(out, cachedPrefix...)
	out = strconv.AppendInt(out, rev, 10)
	out = append(out, '"')
	if len(body) > 0 && body[0] != '}' {
		out = append(out, ',')
	}
	return append(out, body...)
}

// cachedBody returns the part of a cached JSON after its resourceVersion
// field and the comma that follows: the stored value is storedPrefix+body.
func cachedBody(cached []byte) []byte {
	b := cached[len(cachedPrefix):]
	i := bytes.IndexByte(b, '"')
	b = b[i+1:]
	if len(b) > 0 && b[0] == ',' {
		b = b[1:]
	}
	return b
}

// sameStored reports whether value (stored layout) is what cached holds.
func sameStored(value, cached []byte) bool {
	return bytes.HasPrefix(value, []byte(storedPrefix)) &&
		bytes.Equal(value[len(storedPrefix):], cachedBody(cached))
}

// decodeMeta decodes the metadata of a cached (or stored) JSON, reading no
// further than the metadata object. Field names are matched
// case-sensitively, as the Kubernetes API server does, so that Meta agrees
// with the JSON.
func decodeMeta(cached []byte) (*metav1.ObjectMeta, error) {
	dec := kjson.NewDecoderCaseSensitivePreserveInts(bytes.NewReader(cached[len(`{"metadata":`):]))
	meta := new(metav1.ObjectMeta)
	if err := dec.Decode(meta); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	return meta, nil
}

// newObject builds the cached Object of a stored value.
func newObject(key Key, value []byte, rev int64) (*Object, error) {
	js, err := cachedJSON(value, rev)
	if err != nil {
		return nil, err
	}
	meta, err := decodeMeta(js)
	if err != nil {
		return nil, err
	}
	return &Object{Key: key, Revision: rev, JSON: js, Meta: meta}, nil
}

// withRevision returns a copy of o at another revision (a Deleted event's
// object carries the revision of the delete).
func withRevision(o *Object, rev int64) *Object {
	meta := *o.Meta
	meta.ResourceVersion = strconv.FormatInt(rev, 10)
	return &Object{Key: o.Key, Revision: rev, JSON: spliceRevision(cachedBody(o.JSON), rev), Meta: &meta}
}

// storedMap decodes a cached Object's JSON into a fresh map without
// metadata.resourceVersion.
func storedMap(o *Object) (map[string]any, error) {
	m, err := decodeObject(o.JSON)
	if err != nil {
		return nil, err
	}
	meta, err := metadataOf(m)
	if err != nil {
		return nil, err
	}
	delete(meta, "resourceVersion")
	return m, nil
}
