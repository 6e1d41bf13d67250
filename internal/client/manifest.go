package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Manifest is one object read from a file.
type Manifest struct {
	Source string // file name and document index, for messages
	JSON   []byte
	// APIVersion, Kind, Namespace and Name come from the object.
	APIVersion, Kind, Namespace, Name string
}

// ReadManifests reads every object in path: a file, a directory (its .yaml,
// .yml and .json files, not recursively) or "-" for stdin. Files may hold
// several YAML documents, and a List kind is expanded into its items.
func ReadManifests(path string, stdin io.Reader) ([]Manifest, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return parseManifests("stdin", data)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		files = files[:0]
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(files)
	}
	var all []Manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		ms, err := parseManifests(f, data)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// splitYAML splits a multi-document YAML stream on "---" lines.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimRight(line, " \t") == "---" || strings.HasPrefix(line, "--- ") {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	return append(docs, cur.Bytes())
}

func parseManifests(source string, data []byte) ([]Manifest, error) {
	var out []Manifest
	for i, doc := range splitYAML(data) {
		if len(bytes.TrimSpace(doc)) == 0 || isCommentOnly(doc) {
			continue
		}
		src := fmt.Sprintf("%s (document %d)", source, i+1)
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue
		}
		ms, err := toManifests(src, j)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

func isCommentOnly(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		l := strings.TrimSpace(line)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func toManifests(src string, j []byte) ([]Manifest, error) {
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		return nil, fmt.Errorf("%s: not an object: %w", src, err)
	}
	if head.Kind == "List" || strings.HasSuffix(head.Kind, "List") && head.Items != nil {
		var out []Manifest
		for i, it := range head.Items {
			ms, err := toManifests(fmt.Sprintf("%s item %d", src, i), it)
			if err != nil {
				return nil, err
			}
			out = append(out, ms...)
		}
		return out, nil
	}
	if head.APIVersion == "" || head.Kind == "" {
		return nil, errors.New(src + ": apiVersion and kind are required")
	}
	return []Manifest{{
		Source: src, JSON: j, APIVersion: head.APIVersion, Kind: head.Kind,
		Namespace: head.Metadata.Namespace, Name: head.Metadata.Name,
	}}, nil
}
