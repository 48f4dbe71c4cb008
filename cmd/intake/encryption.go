package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/intakehq/intake/config"
	"github.com/intakehq/intake/encryption"
	"github.com/intakehq/intake/store"
	"go.temporal.io/sdk/client"
)

// devKeysFile holds the key `intake dev` made, in its data dir (0600).
const devKeysFile = "encryption.keys"

// productionKeys reads INTAKE_ENCRYPTION_KEYS for serve and worker, which
// must be given the same keys; without them payloads go to Temporal as they
// are, and the log says so unless they are "none".
func productionKeys(cfg config.Config, log *slog.Logger) (*encryption.Keyring, error) {
	switch cfg.EncryptionKeys {
	case "":
		log.Warn("INTAKE_ENCRYPTION_KEYS is not set: payloads are stored in Temporal in plaintext")
		return nil, nil
	case "none":
		return nil, nil
	}
	ring, err := encryption.ParseKeys(cfg.EncryptionKeys)
	if err != nil {
		return nil, fmt.Errorf("INTAKE_ENCRYPTION_KEYS: %w", err)
	}
	return ring, nil
}

// devKeys are INTAKE_ENCRYPTION_KEYS when set (none: no encryption); else the key kept in the
// data dir, made on first start; else (--ephemeral) a key of this run only.
// where says which, for the banner.
func devKeys(cfg config.Config, dataDir string) (ring *encryption.Keyring, where string, err error) {
	if cfg.EncryptionKeys == "none" {
		return nil, "", nil
	}
	if cfg.EncryptionKeys != "" {
		ring, err = encryption.ParseKeys(cfg.EncryptionKeys)
		if err != nil {
			return nil, "", fmt.Errorf("INTAKE_ENCRYPTION_KEYS: %w", err)
		}
		return ring, "INTAKE_ENCRYPTION_KEYS", nil
	}
	if dataDir == "" {
		key, err := encryption.NewKey("dev")
		if err != nil {
			return nil, "", err
		}
		ring, err = encryption.ParseKeys(key)
		return ring, "a key of this run only (--ephemeral)", err
	}
	path := filepath.Join(dataDir, devKeysFile)
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		key, kerr := encryption.NewKey("dev1")
		if kerr != nil {
			return nil, "", kerr
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			return nil, "", err
		}
		raw = []byte(key)
	case err != nil:
		return nil, "", err
	}
	ring, err = encryption.ParseKeys(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return ring, path, nil
}

// encrypt makes the client encode every payload (and failure message)
// with ring; nothing changes without one.
func encrypt(opts *client.Options, ring *encryption.Keyring, compress bool) {
	if ring == nil {
		return
	}
	opts.DataConverter = encryption.DataConverter(ring, compress)
	opts.FailureConverter = encryption.FailureConverter(opts.DataConverter)
}

// newCodecToken is the credential of the codec endpoint the embedded UI
// calls, when INTAKE_CODEC_TOKEN does not choose one.
func newCodecToken() (string, error) {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return "ct_" + hex.EncodeToString(buf), nil
}

// maintainSecrets reseals connector secrets with the current key and
// erases previous secrets past their overlap: at start, then hourly, until
// ctx ends. Every API process runs it; they do not conflict.
func maintainSecrets(ctx context.Context, st *store.Store, log *slog.Logger) {
	for {
		n, err := st.MaintainSecrets(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("connector secrets not maintained", "error", err)
		case n > 0:
			log.Info("connector secrets resealed with the current key", "connectors", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}
