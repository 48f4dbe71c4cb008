package main

import (
	"fmt"
	"os"

	"github.com/intakehq/intake/config"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// temporalConnection is how serve, worker and bench reach Temporal, read
// the way the temporal CLI and every SDK read it: the profile TEMPORAL_PROFILE
// (default "default") of TEMPORAL_CONFIG_FILE (default temporal.toml in the
// user's config directory), when there is one, then the TEMPORAL_*
// variables over it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS_*, TEMPORAL_GRPC_META_*), then intake's --temporal-address and
// --temporal-namespace flags. It returns the options with the address and
// namespace in force written back into cfg. An unreadable certificate or a
// profile that is not in the file is an error here, before anything starts.
func temporalConnection(cfg *config.Config, getenv func(string) string) (client.Options, error) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{EnvLookup: envLookup(getenv)})
	if err != nil {
		return client.Options{}, fmt.Errorf("Temporal connection settings: %w", err)
	}
	if cfg.TemporalAddress != "" {
		prof.Address = cfg.TemporalAddress
	}
	if cfg.TemporalNamespace != "" {
		prof.Namespace = cfg.TemporalNamespace
	}
	if prof.Address == "" {
		prof.Address = config.DefaultTemporalAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = config.DefaultTemporalNamespace
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("Temporal connection settings: %w", err)
	}
	cfg.TemporalAddress, cfg.TemporalNamespace = opts.HostPort, opts.Namespace
	return opts, nil
}

// envLookup reads variables through run's getenv, so tests can set them;
// an empty variable counts as unset, as for intake's own settings.
type envLookup func(string) string

func (e envLookup) LookupEnv(k string) (string, bool) {
	v := e(k)
	return v, v != ""
}

// Environ lists the process's variables: envconfig reads only the
// TEMPORAL_GRPC_META_* headers from it.
func (e envLookup) Environ() []string { return os.Environ() }

// temporalSecurity describes the connection for the log, never its secrets.
func temporalSecurity(opts client.Options) []any {
	return []any{"tls", opts.ConnectionOptions.TLS != nil, "api_key", opts.Credentials != nil}
}
