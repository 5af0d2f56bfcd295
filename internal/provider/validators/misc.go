package validators

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
)

// Duration accepts a non-negative Go duration such as `30s` or `2m`.
func Duration() validator.String {
	return String("Invalid duration", "value must be a Go duration such as `30s`, `2m` or `1h30m`", func(s string) error {
		if d, err := time.ParseDuration(s); err != nil || d < 0 {
			return fmt.Errorf("must be a non-negative duration such as \"30s\", \"2m\" or \"1h30m\", got %q", s)
		}
		return nil
	})
}

// Regexp accepts a valid Go regular expression.
func Regexp() validator.String {
	return String("Invalid regular expression", "value must be a valid regular expression (Go RE2 syntax)", func(s string) error {
		if _, err := regexp.Compile(s); err != nil {
			return fmt.Errorf("must be a valid regular expression (Go RE2 syntax): %w", err)
		}
		return nil
	})
}

// RFC3339 accepts a time such as `2026-01-02T15:04:05Z`.
func RFC3339() validator.String {
	return String("Invalid time", "value must be an RFC 3339 time such as `2026-01-02T15:04:05Z`", func(s string) error {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("must be an RFC 3339 time such as \"2026-01-02T15:04:05Z\", got %q", s)
		}
		return nil
	})
}

// OCIReference accepts an OCI reference with its registry host:
// `host[:port]/repository[:tag]` or `host[:port]/repository@sha256:<hex>`.
func OCIReference() validator.String {
	return String("Invalid OCI reference", "value must be an OCI reference with its registry host, such as "+
		"`registry.example.com/team/app:1.4` or `registry.example.com/team/app@sha256:<64 hex digits>`", func(s string) error {
		_, err := oci.ParseReference(s)
		return err
	})
}
