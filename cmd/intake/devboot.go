//go:build !nodev

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/intakehq/intake/api"
	"github.com/intakehq/intake/store"
)

// devBootstrap is what `intake dev` sets up on first start so a new user can
// push at once: an instance admin token and a Default project with an admin
// key. It is kept in the data dir (mode 0600) so later starts show the same.
type devBootstrap struct {
	AdminToken  string `json:"admin_token,omitempty"`
	ProjectID   string `json:"project_id"`
	ProjectName string `json:"project_name"`
	AdminKey    string `json:"admin_key"`
	// tokenFromEnv is true when INTAKE_ADMIN_TOKEN chose the token; it is
	// then never written to disk.
	tokenFromEnv bool
}

const devBootstrapFile = "dev.json"

func loadDevBootstrap(dataDir, envToken string) (devBootstrap, error) {
	var b devBootstrap
	if dataDir != "" {
		raw, err := os.ReadFile(filepath.Join(dataDir, devBootstrapFile))
		switch {
		case err == nil:
			if err := json.Unmarshal(raw, &b); err != nil {
				return b, fmt.Errorf("%s: %w", devBootstrapFile, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			return b, err
		}
	}
	if envToken != "" {
		b.AdminToken, b.tokenFromEnv = envToken, true
	}
	if b.AdminToken == "" {
		buf := make([]byte, 24)
		if _, err := rand.Read(buf); err != nil {
			return b, err
		}
		b.AdminToken = "it_" + hex.EncodeToString(buf)
	}
	return b, nil
}

// ensureProject creates the Default project through the API itself, unless
// the one recorded still exists.
func (b *devBootstrap) ensureProject(ctx context.Context, srv *api.Server, st *store.Store, dataDir string) error {
	if b.ProjectID != "" {
		if _, err := st.GetProject(ctx, b.ProjectID); err == nil {
			return nil
		}
	}
	req := httptest.NewRequestWithContext(ctx, "POST", "/api/admin/projects", bytes.NewBufferString(`{"name":"Default"}`))
	req.Header.Set("Authorization", "Bearer "+b.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		return fmt.Errorf("create the Default project: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var created struct {
		Project  struct{ ID, Name string } `json:"project"`
		AdminKey string                    `json:"admin_key"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &created) != nil {
		return fmt.Errorf("create the Default project: %d %s", resp.StatusCode, body)
	}
	b.ProjectID, b.ProjectName, b.AdminKey = created.Project.ID, created.Project.Name, created.AdminKey
	if dataDir == "" {
		return nil
	}
	saved := *b
	if b.tokenFromEnv {
		saved.AdminToken = ""
	}
	raw, err := json.MarshalIndent(saved, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, devBootstrapFile), raw, 0o600)
}
