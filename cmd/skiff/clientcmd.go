package main

import (
	"fmt"
	"path/filepath"

	"github.com/skiff-sh/skiff/internal/apis/registry"
	"github.com/skiff-sh/skiff/internal/client"
	"github.com/skiff-sh/skiff/internal/kubeconfig"
)

// clientFlags are the flags every client subcommand shares.
type clientFlags struct {
	kubeconfig string
	dataDir    string
	namespace  string
}

// newClient builds an API client from the kubeconfig the flags name.
func (cf *clientFlags) newClient() (*client.Client, string, error) {
	path := cf.kubeconfig
	if path == "" {
		path = filepath.Join(cf.dataDir, "kubeconfig")
	}
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return nil, "", fmt.Errorf("%w (is `skiff server` running with this data dir?)", err)
	}
	c := client.New(kc, registry.All())
	ns := cf.namespace
	if ns == "" {
		ns = c.Namespace()
	}
	return c, ns, nil
}
