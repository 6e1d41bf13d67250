package apiserver

import (
	"net/http"
	"sort"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
)

// KubernetesVersion is the version skiff's API answers on /version. kubectl
// picks its own behaviour (and, on some machines, its binary) from it.
const KubernetesVersion = "v1.32.0"

var resourceVerbs = metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// groupVersions returns the group versions served, each with its kinds,
// "v1" (core) first and the rest sorted.
func groupVersions(kinds []apis.Kind) (order []string, byGV map[string][]*apis.Kind) {
	byGV = map[string][]*apis.Kind{}
	for i := range kinds {
		gv := kinds[i].GroupVersion()
		if _, ok := byGV[gv]; !ok {
			order = append(order, gv)
		}
		byGV[gv] = append(byGV[gv], &kinds[i])
	}
	sort.Slice(order, func(i, j int) bool {
		if (order[i] == "v1") != (order[j] == "v1") {
			return order[i] == "v1"
		}
		return order[i] < order[j]
	})
	return order, byGV
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	minor := strings.Split(strings.TrimPrefix(KubernetesVersion, "v"), ".")[1]
	writeJSON(w, http.StatusOK, version.Info{
		Major: "1", Minor: minor, GitVersion: KubernetesVersion,
		GitCommit: s.cfg.Version, Platform: "linux", GoVersion: "skiff " + s.cfg.Version,
	})
}

// serveAPIVersions answers /api (legacy discovery of the core group).
func (s *Server) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host},
		},
	})
}

// serveAPIGroups answers /apis with every group but the core one.
func (s *Server) serveAPIGroups(w http.ResponseWriter, r *http.Request) {
	list := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	idx := map[string]int{}
	for _, gv := range s.gvOrder {
		k := s.byGV[gv][0]
		if k.Group == "" {
			continue
		}
		v := metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: k.Version}
		i, ok := idx[k.Group]
		if !ok {
			idx[k.Group] = len(list.Groups)
			list.Groups = append(list.Groups, metav1.APIGroup{Name: k.Group, PreferredVersion: v})
			i = len(list.Groups) - 1
		}
		list.Groups[i].Versions = append(list.Groups[i].Versions, v)
		// The preferred version is the highest: v1 over v1beta1 over v1alpha1.
		if versionRank(k.Version) > versionRank(list.Groups[i].PreferredVersion.Version) {
			list.Groups[i].PreferredVersion = v
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func versionRank(v string) int {
	switch {
	case strings.Contains(v, "alpha"):
		return 1
	case strings.Contains(v, "beta"):
		return 2
	default:
		return 3
	}
}

// serveResourceList answers /api/v1 and /apis/<group>/<version>.
func (s *Server) serveResourceList(w http.ResponseWriter, gv string) {
	kinds, ok := s.byGV[gv]
	if !ok {
		writeStatus(w, metav1.Status{Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
			Message: "the server could not find the requested resource"})
		return
	}
	list := metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: gv,
	}
	for _, k := range kinds {
		verbs := resourceVerbs
		if k.ReadOnly {
			verbs = metav1.Verbs{"get", "list", "watch"}
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: k.Plural, SingularName: k.Singular, Namespaced: k.Namespaced, Kind: k.Kind,
			Verbs: verbs, ShortNames: k.ShortNames, Categories: k.Categories,
		})
		if k.HasStatus {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: k.Plural + "/status", Namespaced: k.Namespaced, Kind: k.Kind,
				Verbs: metav1.Verbs{"get", "patch", "update"},
			})
		}
	}
	writeJSON(w, http.StatusOK, list)
}
