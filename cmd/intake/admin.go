package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/config"
)

const adminUsage = `Usage: intake admin [--url URL] [--token TOKEN] <resource> <action> [flags]

  projects create --name NAME                  (instance admin token)
  projects list
  encryption status                            (instance admin token: which keys are still in use)
  keys create --name NAME [--scope ingest|admin] [--expires-at RFC3339]
  keys list
  keys revoke ID
  metrics create --key KEY --name NAME [--unit UNIT] [--value N]
  metrics list
  connectors create --type stripe|hubspot|quickbooks|generic|salesdash --name NAME [--secret SECRET]
  connectors list
  mappings test --file rules.yaml --payload sample.json   (offline: no URL or token)

The token is INTAKE_TOKEN, else INTAKE_ADMIN_TOKEN; the URL is INTAKE_URL.
`

// adminAction is one CLI action: the flags it takes and the request it makes.
type adminAction struct {
	method, path string
	fields       []string // body fields, each a --flag
	numeric      map[string]bool
	arg          string // a positional argument appended to path
}

var adminActions = map[string]adminAction{
	"projects create":   {method: "POST", path: "/api/admin/projects", fields: []string{"name"}},
	"projects list":     {method: "GET", path: "/api/admin/projects"},
	"encryption status": {method: "GET", path: "/api/admin/encryption"},
	"keys create":       {method: "POST", path: "/api/admin/keys", fields: []string{"name", "scope", "expires_at"}},
	"keys list":         {method: "GET", path: "/api/admin/keys"},
	"keys revoke":       {method: "DELETE", path: "/api/admin/keys/", arg: "ID"},
	"metrics create":    {method: "POST", path: "/api/admin/metrics", fields: []string{"key", "name", "unit", "value"}, numeric: map[string]bool{"value": true}},
	"metrics list":      {method: "GET", path: "/api/admin/metrics"},
	"connectors create": {method: "POST", path: "/api/admin/connectors", fields: []string{"type", "name", "secret"}},
	"connectors list":   {method: "GET", path: "/api/admin/connectors"},
}

// runAdmin performs one admin action against the API and prints its JSON.
func runAdmin(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) < 2 {
		return errors.New("missing resource and action\n\n" + adminUsage)
	}
	name := args[0] + " " + args[1]
	if name == "mappings test" {
		return runMappingsTest(args[2:], stdout)
	}
	act, ok := adminActions[name]
	if !ok {
		return fmt.Errorf("unknown action %q\n\n%s", name, adminUsage)
	}
	fs := flag.NewFlagSet("intake admin "+name, flag.ContinueOnError)
	values := map[string]*string{}
	for _, f := range act.fields {
		values[f] = fs.String(strings.ReplaceAll(f, "_", "-"), "", f)
	}
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	path := act.path
	if act.arg != "" {
		if fs.NArg() != 1 {
			return fmt.Errorf("%s takes one %s", name, act.arg)
		}
		path += fs.Arg(0)
	}
	var body io.Reader
	if act.method == "POST" {
		obj := map[string]any{}
		for f, v := range values {
			if *v == "" {
				continue
			}
			obj[f] = *v
			if act.numeric[f] {
				n, err := strconv.ParseFloat(*v, 64)
				if err != nil {
					return fmt.Errorf("--%s must be a number", f)
				}
				obj[f] = n
			}
		}
		raw, _ := json.Marshal(obj)
		body = bytes.NewReader(raw)
	}
	return adminRequest(ctx, cfg, act.method, path, body, stdout)
}

func adminRequest(ctx context.Context, cfg config.Config, method, path string, body io.Reader, stdout io.Writer) error {
	if cfg.Token == "" {
		return errors.New("no token: set INTAKE_TOKEN (a project admin key) or INTAKE_ADMIN_TOKEN")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(cfg.APIURL, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s\n%s", method, path, resp.Status, pretty.String())
	}
	_, err = fmt.Fprintln(stdout, pretty.String())
	return err
}
