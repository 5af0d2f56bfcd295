package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider"
)

// version is set at link time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// envCPUProfile names a path prefix: when set, each provider process writes a
// CPU profile of its whole life to PREFIX.PID, for `go tool pprof`.
const envCPUProfile = "TF_UNIKERNEL_CPU_PROFILE"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	for k, v := range quietLogEnv(os.Environ()) {
		_ = os.Setenv(k, v)
	}
	tuneGC(os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	stop := startProfile(os.Getenv(envCPUProfile))
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/unikernel-dev/unikernel",
		Debug:           debugMode,
		ProtocolVersion: 6,
	})
	stop()
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietLogEnv returns the variables that turn the SDK's and the provider's
// logs off when the user asked for no logs (no TF_LOG* variable is set).
// Without them terraform-plugin-go logs every request at trace level as JSON
// to Terraform, which throws the lines away unless TF_LOG or TF_LOG_PROVIDER
// is set: about a fifth of the provider's CPU during a plan went to that.
func quietLogEnv(environ []string) map[string]string {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TF_LOG") {
			return nil
		}
	}
	return map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"}
}

// gcPercent and gcMemoryLimit are the provider's garbage collector settings
// unless GOGC or GOMEMLIMIT say otherwise. A plan or an apply allocates a lot
// of short-lived garbage per resource (the framework converts every request
// between protocol values, schema paths and the model) on a small live heap,
// so with Go's default of 100 a plan of 100 instances spent about a quarter
// of the provider's CPU collecting. 400 collects a quarter as often; the
// limit keeps a large plan from growing the heap past it, where the collector
// runs as often as it must.
const (
	gcPercent     = 400
	gcMemoryLimit = 384 << 20
)

// tuneGC applies gcPercent and gcMemoryLimit, each only where the user has
// not set its variable.
func tuneGC(gogc, gomemlimit string) {
	if gogc == "" {
		debug.SetGCPercent(gcPercent)
	}
	if gomemlimit == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}

// startProfile starts a CPU profile into prefix.PID and returns the function
// that ends it; without a prefix it does nothing.
func startProfile(prefix string) (stop func()) {
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
	if err != nil {
		log.Printf("[WARN] %s: %v", envCPUProfile, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("[WARN] %s: %v", envCPUProfile, err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
