package hypervisor

import (
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

var (
	loggerOnce sync.Once
	logger     hclog.Logger
)

// Logger is the adapter's logger for what happens outside any Terraform
// request: the connection's life (open, loss, keepalive failure, reopen,
// retries) and transfer progress. It writes JSON lines to stderr, which the
// plugin framework hands to Terraform's log as plugin output (TF_LOG=DEBUG).
// Request-scoped messages stay on tflog.
func Logger() hclog.Logger {
	loggerOnce.Do(func() {
		level := hclog.Info
		for _, env := range []string{"TF_LOG_PROVIDER_UNIKERNEL", "TF_LOG_PROVIDER", "TF_LOG"} {
			if v := os.Getenv(env); v != "" {
				if l := hclog.LevelFromString(v); l != hclog.NoLevel {
					level = l
				}
				break
			}
		}
		logger = hclog.New(&hclog.LoggerOptions{
			Name:       "unikernel.libvirt",
			Level:      level,
			Output:     os.Stderr,
			JSONFormat: true,
		})
	})
	return logger
}

// redactURI drops the query of a URI for logs: it can name key files.
func redactURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.RawQuery == "" {
		return uri
	}
	u.RawQuery = ""
	return strings.TrimSuffix(u.String(), "?") + "?..."
}
