package natsembed

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestEmbeddedKeepsDataAcrossRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	n, err := Start(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n.ClientURL() != "" {
		t.Errorf("ClientURL() = %q without ClientAddr; want no client port", n.ClientURL())
	}
	kv, err := n.JetStream().CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "t", Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	n.Close()

	n, err = Start(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	kv, err = n.JetStream().KeyValue(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "k")
	if err != nil || string(e.Value()) != "v" {
		t.Fatalf("after restart Get(k) = %v, %v; want v", e, err)
	}
}

func TestClientPortAndExternalURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	server, err := Start(ctx, Config{DataDir: t.TempDir(), ClientAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if server.ClientURL() == "" {
		t.Fatal("ClientURL() empty with ClientAddr set")
	}
	client, err := Start(ctx, Config{URL: server.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.JetStream().AccountInfo(ctx); err != nil {
		t.Errorf("JetStream through the external URL: %v", err)
	}
}
