package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// streams are the standard streams a command reads and writes.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// Run runs the skiff command line with args.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	s := streams{in: stdin, out: stdout, err: stderr}
	root := &cobra.Command{
		Use:           "skiff",
		Short:         "Knative Serving and Eventing in one binary, without Kubernetes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	var cf clientFlags
	root.PersistentFlags().StringVar(&cf.kubeconfig, "kubeconfig", "", "kubeconfig of the server to talk to (default: <data-dir>/kubeconfig)")
	root.PersistentFlags().StringVar(&cf.dataDir, "data-dir", defaultDataDir(), "skiff's data dir")
	root.PersistentFlags().StringVarP(&cf.namespace, "namespace", "n", "", "namespace (default: the kubeconfig's)")
	root.AddCommand(
		newServerCmd(s, &cf),
		newApplyCmd(s, &cf),
		newGetCmd(s, &cf),
		newDeleteCmd(s, &cf),
		newLogsCmd(s, &cf),
		newVersionCmd(s),
		newEventCmd(s, &cf),
	)
	return root.ExecuteContext(ctx)
}

// defaultDataDir is ~/.skiff.
func defaultDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".skiff"
	}
	return filepath.Join(home, ".skiff")
}

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print skiff's version",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := io.WriteString(s.out, "skiff "+version+"\n")
			return err
		},
	}
}
