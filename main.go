package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
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
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	for k, v := range quietLogEnv(os.Environ()) {
		_ = os.Setenv(k, v)
	}
	stop := startProfile(os.Getenv(envCPUProfile))
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/unikernel-dev/unikernel",
		Debug:           debug,
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
