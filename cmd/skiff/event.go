package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/skiff-sh/skiff/internal/client"
	"github.com/spf13/cobra"
)

func newEventCmd(s streams, cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "event", Short: "Send CloudEvents to brokers and URLs"}
	cmd.AddCommand(newEventSendCmd(s, cf), newEventTailCmd(s, cf))
	return cmd
}

func newEventSendCmd(s streams, cf *clientFlags) *cobra.Command {
	var brokerName, target, typ, source, id, data, contentType string
	var exts []string
	cmd := &cobra.Command{
		Use:   "send (--broker NAME | --url URL) --type TYPE [--source SRC] [--data DATA] [--extension k=v]...",
		Short: "Send one CloudEvent (binary mode) with the CloudEvents SDK",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if (brokerName == "") == (target == "") {
				return errors.New("give exactly one of --broker and --url")
			}
			if typ == "" {
				return errors.New("--type is required")
			}
			if brokerName != "" {
				c, ns, err := cf.newClient()
				if err != nil {
					return err
				}
				u, err := brokerURL(ctx, c, ns, brokerName)
				if err != nil {
					return err
				}
				target = u
			}
			e := cloudevents.NewEvent()
			if id == "" {
				b := make([]byte, 8)
				_, _ = rand.Read(b)
				id = hex.EncodeToString(b)
			}
			e.SetID(id)
			e.SetType(typ)
			e.SetSource(source)
			for _, kv := range exts {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--extension %q: want name=value", kv)
				}
				e.SetExtension(k, v)
			}
			if data != "" {
				if contentType == "" {
					contentType = "text/plain"
					if json.Valid([]byte(data)) {
						contentType = "application/json"
					}
				}
				if err := e.SetData(contentType, []byte(data)); err != nil {
					return err
				}
			}
			if err := e.Validate(); err != nil {
				return fmt.Errorf("invalid event: %w", err)
			}
			ce, err := cloudevents.NewClientHTTP()
			if err != nil {
				return err
			}
			res := ce.Send(cloudevents.ContextWithTarget(ctx, target), e)
			if !cloudevents.IsACK(res) {
				return fmt.Errorf("send to %s: %w", target, res)
			}
			fmt.Fprintf(s.out, "event %s sent to %s: %v\n", id, target, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&brokerName, "broker", "", "broker name (in --namespace)")
	f.StringVar(&target, "url", "", "target URL")
	f.StringVar(&typ, "type", "", "event type")
	f.StringVar(&source, "source", "skiff-cli", "event source")
	f.StringVar(&id, "id", "", "event id (default: random)")
	f.StringVar(&data, "data", "", "event data")
	f.StringVar(&contentType, "content-type", "", "datacontenttype (default: application/json for JSON data, else text/plain)")
	f.StringArrayVar(&exts, "extension", nil, "extension attribute name=value (repeatable)")
	return cmd
}

// brokerURL reads a Broker's status.address.url through the API.
func brokerURL(ctx context.Context, c *client.Client, ns, name string) (string, error) {
	k, err := c.ResolveKind("brokers.eventing.knative.dev")
	if err != nil {
		return "", err
	}
	body, err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: client.Path(k, ns, name)})
	if err != nil {
		return "", err
	}
	var b struct {
		Status struct {
			Address struct{ URL string } `json:"address"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return "", err
	}
	if b.Status.Address.URL == "" {
		return "", fmt.Errorf("broker %s/%s has no address yet", ns, name)
	}
	return b.Status.Address.URL, nil
}

func newEventTailCmd(s streams, cf *clientFlags) *cobra.Command {
	var brokerName string
	cmd := &cobra.Command{
		Use:   "tail --broker NAME",
		Short: "Print what a broker receives, live, one CloudEvent (JSON) per line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if brokerName == "" {
				return errors.New("--broker is required")
			}
			c, ns, err := cf.newClient()
			if err != nil {
				return err
			}
			body, err := c.Stream(cmd.Context(), "/skiff/v1/events/"+ns+"/"+brokerName)
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = io.Copy(s.out, body)
			if cmd.Context().Err() != nil {
				return nil
			}
			return err
		},
	}
	cmd.Flags().StringVar(&brokerName, "broker", "", "broker name (in --namespace)")
	return cmd
}
