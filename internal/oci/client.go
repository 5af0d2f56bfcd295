package oci

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Registry is what the provider configuration says about one registry host.
type Registry struct {
	// Address is host[:port], as it appears in references.
	Address string
	// Username and Password are explicit credentials. They win over the
	// Docker configuration. A password alone is an identity token.
	Username, Password string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// PlainHTTP talks http instead of https.
	PlainHTTP bool
}

// Options configure a Client.
type Options struct {
	Registries []Registry
	// CacheDir holds the blob cache (see DefaultCacheDir).
	CacheDir string
	// DockerConfig enables credentials from the Docker configuration
	// (DOCKER_CONFIG or ~/.docker/config.json, with credential helpers).
	DockerConfig bool
	// MaxBlobBytes caps a single blob (0: no cap).
	MaxBlobBytes int64
}

// Client talks to registries. It is safe for concurrent use and meant to live
// as long as the provider: it keeps one authenticated HTTP client per
// registry (so tokens are reused), the tags it resolved (so a plan asks the
// registry once per reference) and the blob cache.
type Client struct {
	opts  Options
	cache *Cache

	mu       sync.Mutex
	hosts    map[string]*auth.Client
	dockerCS credentials.Store
	dockerOK bool

	resolved  flight[string, resolved]
	manifests flight[string, *manifestDoc]
}

// NewClient checks the options (CA files are read here, so a bad one fails
// at configure time) and returns a client.
func NewClient(opts Options) (*Client, error) {
	seen := map[string]bool{}
	for _, r := range opts.Registries {
		if seen[r.Address] {
			return nil, fmt.Errorf("registry %q is listed twice", r.Address)
		}
		seen[r.Address] = true
		if r.CAFile != "" {
			if _, err := loadCA(r.CAFile); err != nil {
				return nil, err
			}
		}
	}
	dir := opts.CacheDir
	if dir == "" {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	c := &Client{opts: opts, cache: NewCache(dir, opts.MaxBlobBytes), hosts: map[string]*auth.Client{}}
	c.resolved.memo, c.manifests.memo = true, true
	return c, nil
}

// DefaultCacheDir is UNIKERNEL_OCI_CACHE, else $XDG_CACHE_HOME or ~/.cache,
// under terraform-provider-unikernel/oci.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("UNIKERNEL_OCI_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no directory for the OCI blob cache: %w (set UNIKERNEL_OCI_CACHE)", err)
	}
	return base + "/terraform-provider-unikernel/oci", nil
}

// Cache is the client's blob cache.
func (c *Client) Cache() *Cache { return c.cache }

func (c *Client) settings(host string) Registry {
	for _, r := range c.opts.Registries {
		if r.Address == host {
			return r
		}
	}
	return Registry{Address: host}
}

func loadCA(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", file)
	}
	return pool, nil
}

// retryPolicy retries 408, 429 and 5xx answers and network errors with
// exponential backoff (Retry-After is honoured): 5 retries, 250 ms doubling
// to at most 10 s.
var retryPolicy = &retry.GenericPolicy{
	Retryable: retry.DefaultPredicate,
	Backoff:   retry.DefaultBackoff,
	MinWait:   200 * time.Millisecond,
	MaxWait:   10 * time.Second,
	MaxRetry:  5,
}

// authClient is the one HTTP client of a registry host.
func (c *Client) authClient(host string) (*auth.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ac, ok := c.hosts[host]; ok {
		return ac, nil
	}
	s := c.settings(host)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = time.Minute
	if s.CAFile != "" {
		pool, err := loadCA(s.CAFile)
		if err != nil {
			return nil, err
		}
		base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	rt := retry.NewTransport(base)
	rt.Policy = func() retry.Policy { return retryPolicy }
	ac := &auth.Client{
		Client:     &http.Client{Transport: rt},
		Cache:      auth.NewCache(),
		Credential: c.credential(s),
	}
	ac.SetUserAgent("terraform-provider-unikernel")
	// A registry on loopback (a local mirror, a test registry) may have its
	// token service on loopback too; oras-go refuses loopback realms by
	// default to protect registries elsewhere from sending tokens there.
	if isLoopback(host) {
		ac.BlockedRealmPrefixes = slices.DeleteFunc(auth.DefaultBlockedRealmPrefixes(), func(p netip.Prefix) bool {
			return p.Addr().IsLoopback()
		})
	}
	c.hosts[host] = ac
	return ac, nil
}

func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// credential resolves credentials for a registry: explicit ones from the
// configuration, else the Docker configuration's (with its credential
// helpers), else anonymous.
func (c *Client) credential(s Registry) auth.CredentialFunc {
	if s.Username != "" || s.Password != "" {
		cred := auth.Credential{Username: s.Username, Password: s.Password}
		if s.Username == "" {
			cred = auth.Credential{RefreshToken: s.Password}
		}
		return auth.StaticCredential(s.Address, cred)
	}
	if !c.opts.DockerConfig {
		return nil
	}
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		store, err := c.dockerStore()
		if err != nil {
			return auth.EmptyCredential, err
		}
		if store == nil {
			return auth.EmptyCredential, nil
		}
		cred, err := store.Get(ctx, hostport)
		if err != nil {
			return auth.EmptyCredential, fmt.Errorf("reading credentials for %s from the Docker configuration: %w", hostport, err)
		}
		return cred, nil
	}
}

// dockerStore opens the Docker configuration once. A missing file is no
// store (anonymous access).
func (c *Client) dockerStore() (credentials.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dockerOK {
		return c.dockerCS, nil
	}
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			c.dockerOK = true
			return nil, nil
		}
		return nil, fmt.Errorf("reading the Docker configuration (DOCKER_CONFIG or ~/.docker/config.json): %w", err)
	}
	c.dockerCS, c.dockerOK = store, true
	return store, nil
}

// repository is a remote repository handle for ref.
func (c *Client) repository(ref Reference) (*remote.Repository, error) {
	ac, err := c.authClient(ref.Registry)
	if err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(ref.Registry + "/" + ref.Repository)
	if err != nil {
		return nil, err
	}
	repo.Client = ac
	repo.PlainHTTP = c.settings(ref.Registry).PlainHTTP
	return repo, nil
}
