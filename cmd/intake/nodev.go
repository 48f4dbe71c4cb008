//go:build nodev

package main

import (
	"context"
	"errors"
	"io"

	"github.com/intakehq/intake/config"
)

// runDev is left out of binaries built with the nodev tag, which carry no
// embedded Temporal server.
func runDev(context.Context, config.Config, io.Writer) error {
	return errors.New("this binary was built without `intake dev` (tag nodev); use intake serve and intake worker")
}
