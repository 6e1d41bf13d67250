package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/kubeconfig"
	"github.com/skiff-sh/skiff/internal/serving/logs"
)

// logsServer serves two services and the logs of their revisions from a
// log dir, behind a token, as the skiff API does.
func logsServer(t *testing.T) string {
	t.Helper()
	logDir := t.TempDir()
	for rev, files := range map[string]map[string]string{
		"hello-00001": {"1.log": "old revision\n"},
		"hello-00002": {"1.log": "a\nb\n", "2.log": "c\n"},
		"fresh-00001": {"1.log": "created, not ready\n"},
	} {
		dir := filepath.Join(logDir, "default", rev)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	mux := http.NewServeMux()
	mux.Handle(logs.PathPrefix, logs.New(logDir, nil))
	mux.HandleFunc("/apis/serving.knative.dev/v1/namespaces/default/services/hello", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"kind":"Service","status":{"latestReadyRevisionName":"hello-00002","latestCreatedRevisionName":"hello-00003"}}`))
	})
	mux.HandleFunc("/apis/serving.knative.dev/v1/namespaces/default/services/fresh", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"kind":"Service","status":{"latestCreatedRevisionName":"fresh-00001"}}`))
	})
	mux.HandleFunc("/apis/serving.knative.dev/v1/namespaces/default/services/new", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"kind":"Service","status":{}}`))
	})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := kubeconfig.Write(path, kubeconfig.Config{Server: srv.URL, Token: "secret", Namespace: "default", CAData: ca}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLogsCommand(t *testing.T) {
	kc := logsServer(t)
	tests := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: []string{"ksvc/hello"}, want: "[1] a\n[1] b\n[2] c\n"},
		{args: []string{"hello", "--tail", "1"}, want: "[1] b\n[2] c\n"},
		{args: []string{"services.serving.knative.dev/hello", "--instance", "2"}, want: "c\n"},
		{args: []string{"ksvc/hello", "--revision", "hello-00001"}, want: "old revision\n"},
		{args: []string{"rev/hello-00001"}, want: "old revision\n"},
		{args: []string{"ksvc/fresh"}, want: "created, not ready\n"},
		{args: []string{"ksvc/new"}, wantErr: `service "new" has no revision yet`},
		{args: []string{"rev/hello-00009"}, wantErr: `revision "hello-00009" in namespace "default" has no logs`},
		{args: []string{"cm/settings"}, wantErr: "not of configmaps"},
		{args: []string{"rev/hello-00001", "--revision", "hello-00002"}, wantErr: "--revision is for a service"},
		{args: []string{"ksvc/"}, wantErr: "logs needs TYPE/NAME"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		args := append([]string{"--kubeconfig", kc, "logs"}, tt.args...)
		err := Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("skiff logs %v: error %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || out.String() != tt.want {
			t.Errorf("skiff logs %v = %q, %v; want %q", tt.args, out.String(), err, tt.want)
		}
	}
}

func TestLogsFollowEndsOnInterrupt(t *testing.T) {
	kc := logsServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--kubeconfig", kc, "logs", "-f", "rev/hello-00001"}, strings.NewReader(""), &out, &errOut)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("skiff logs -f after an interrupt = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("skiff logs -f did not stop when interrupted")
	}
	if out.String() != "old revision\n" {
		t.Errorf("output = %q, want the log", out.String())
	}
}
