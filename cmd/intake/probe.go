package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runProbe is a container healthcheck for images without a shell or curl
// (the distroless image): GET url, and succeed on a 2xx answer.
func runProbe(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: intake probe URL   (exit 0 when GET URL answers 2xx, e.g. http://127.0.0.1:8080/readyz)")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		fmt.Fprintf(stderr, "intake probe: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "intake probe: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "intake probe: %s answered %d: %s\n", args[0], resp.StatusCode, body)
		return 1
	}
	return 0
}
