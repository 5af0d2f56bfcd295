// Package oci pulls unikernels out of OCI registries: it resolves a
// reference, picks the manifest of the target platform from an index, tells
// the package's layout (kraftkit, urunc, or a plain artifact) from media
// types and annotations, and hands back one file of the package, verified
// against its digest and kept in a blob cache on the machine that runs
// Terraform. The registry protocol and its auth flows are oras-go's.
package oci

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
)

// Reference is a parsed OCI reference: registry host, repository, and a tag
// or a digest (a digest wins when both are given).
type Reference struct {
	Registry   string // host[:port]
	Repository string
	Tag        string // "" when pinned by digest
	Digest     digest.Digest
}

// String is the canonical form: host/repo:tag or host/repo@digest.
func (r Reference) String() string {
	if r.Digest != "" {
		return r.Registry + "/" + r.Repository + "@" + r.Digest.String()
	}
	return r.Registry + "/" + r.Repository + ":" + r.Tag
}

// Pinned reports whether the reference names a digest, which needs no
// registry call to resolve.
func (r Reference) Pinned() bool { return r.Digest != "" }

// ParseReference parses `host[:port]/repository[:tag][@sha256:<hex>]`. The
// registry's host is required (there is no implied Docker Hub): the first
// path element must contain a dot or a port, or be `localhost`. A missing
// tag means `latest`.
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, errors.New("the reference is empty")
	}
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return Reference{}, errors.New("the reference contains white space or a control character")
	}
	if strings.Contains(s, "://") {
		return Reference{}, fmt.Errorf("%q has a URL scheme: give the reference without it, as "+
			"registry.example.com/team/app:1.4", s)
	}
	host, _, ok := strings.Cut(s, "/")
	if !ok || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		return Reference{}, fmt.Errorf("%q does not start with a registry host: write it in full, as "+
			"registry.example.com/team/app:1.4 (docker.io/library/... for Docker Hub)", s)
	}
	ref, err := registry.ParseReference(s)
	if err != nil {
		return Reference{}, fmt.Errorf("%q is not a valid OCI reference (host/repository:tag or "+
			"host/repository@sha256:<64 hex digits>): %s", s, strings.TrimPrefix(err.Error(), "invalid reference: "))
	}
	out := Reference{Registry: ref.Registry, Repository: ref.Repository}
	switch d, err := ref.Digest(); {
	case err == nil:
		if d.Algorithm() != digest.SHA256 {
			return Reference{}, fmt.Errorf("%q: only sha256 digests are accepted", s)
		}
		out.Digest = d
	case ref.Reference == "":
		out.Tag = "latest"
	default:
		out.Tag = ref.Reference
	}
	return out, nil
}
