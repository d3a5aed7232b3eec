// Package deploy holds what installs headroom and no code: the systemd
// units (systemd/), the Kubernetes manifests (kubernetes/), and, in its
// tests, the checks of those and of the Dockerfile at the module's root.
//
// The tests build headroom as the Dockerfile does (static, CGO_ENABLED=0)
// and check that the binary is static; run `systemd-analyze verify` and
// `systemd-analyze security --offline` on the units; build the image's
// final stage with buildah and run headroom in it; decode every manifest
// strictly against the Kubernetes API types and check what refers to what
// (ConfigMaps, Secrets, ports, selectors, the agents' push URLs); and check
// the configs in the ConfigMaps with headroom's own validation.
package deploy
