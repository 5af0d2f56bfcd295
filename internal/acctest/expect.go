package acctest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// Expect is statecheck.ExpectKnownValue with the attribute path written
// the way Terraform shows it: "network_interfaces.0.ipv4_addresses.0"
// (a number is a list index, anything else an attribute or map key).
func Expect(addr, path string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, Path(path), check)
}

// Path turns "a.0.b" into the tfjsonpath a[0].b.
func Path(path string) tfjsonpath.Path {
	parts := strings.Split(path, ".")
	p := tfjsonpath.New(parts[0])
	for _, s := range parts[1:] {
		if i, err := strconv.Atoi(s); err == nil {
			p = p.AtSliceIndex(i)
		} else {
			p = p.AtMapKey(s)
		}
	}
	return p
}

// CheckHTTP GETs url (from the test's network namespace) and hands the
// status and the body, trimmed of white space, to check.
func CheckHTTP(url string, check func(status int, body string) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("GET %s: reading the body: %w", url, err)
		}
		if err := check(resp.StatusCode, strings.TrimSpace(string(b))); err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		return nil
	}
}

// CheckHTTPBody checks that url answers 200 with want as its body.
func CheckHTTPBody(url, want string) resource.TestCheckFunc {
	return CheckHTTP(url, func(status int, body string) error {
		if status != http.StatusOK || body != want {
			return fmt.Errorf("answered %d %q, want 200 %q", status, body, want)
		}
		return nil
	})
}

// CheckHTTPContains checks that url answers 200 with a body containing want.
func CheckHTTPContains(url, want string) resource.TestCheckFunc {
	return CheckHTTP(url, func(status int, body string) error {
		if status != http.StatusOK || !strings.Contains(body, want) {
			return fmt.Errorf("answered %d %q, want 200 with %q", status, body, want)
		}
		return nil
	})
}
