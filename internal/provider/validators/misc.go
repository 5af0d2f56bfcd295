package validators

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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
