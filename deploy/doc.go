// Package deploy holds intake's deployment files: deploy/compose (the
// Caddyfile and Temporal's dynamic config used by docker-compose.yml) and
// deploy/helm/intake (the Helm chart). It is a Go module of its own so that
// the Helm and Kubernetes libraries its tests use never enter intake's
// module or image; the package has no code, only the chart's tests.
package deploy
