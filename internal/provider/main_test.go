package provider

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the RSS helper of BenchmarkImageUpload1GiB (image_bench_test.go)
// instead of the tests when that benchmark starts this binary as its child
// process, and otherwise runs the tests with the test CA (setupTestCA) that
// the TLS tests trust.
func TestMain(m *testing.M) {
	if pool, src := os.Getenv("UNIKERNEL_RSS_HELPER_POOL"), os.Getenv("UNIKERNEL_RSS_HELPER_SOURCE"); pool != "" && src != "" {
		if err := rssHelper(pool, src); err != nil {
			fmt.Fprintln(os.Stderr, "RSS helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	cleanup, err := setupTestCA()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test CA:", err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
