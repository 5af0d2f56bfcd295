package validators

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Host paths are checked with package path, not path/filepath: they name
// files on the libvirt host, which may be another machine than the one
// running Terraform.

// CheckAbsolutePath accepts an absolute, clean host path without `..`
// components.
func CheckAbsolutePath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("must be an absolute host path (or a unikernel_image id), got %q", p)
	case strings.ContainsRune(p, 0):
		return errors.New("must not contain a NUL byte")
	case containsDotDot(p):
		return fmt.Errorf("must not contain `..` components, got %q", p)
	case path.Clean(p) != p:
		return fmt.Errorf("must be a clean path (no `//`, `.` or trailing `/`); did you mean %q?", path.Clean(p))
	}
	return nil
}

// AbsolutePath accepts an absolute, clean host path without `..` components.
func AbsolutePath() validator.String {
	return String("Invalid path", "value must be an absolute host path without `..` components", CheckAbsolutePath)
}

func containsDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// CheckNoControlChars refuses newlines, carriage returns and NUL bytes,
// which a kernel command line cannot carry.
func CheckNoControlChars(s string) error {
	if strings.ContainsAny(s, "\n\r\x00") {
		return errors.New("must not contain a newline, carriage return or NUL byte")
	}
	return nil
}

// NoControlChars rejects newlines and NUL bytes, which a kernel command line
// cannot carry.
func NoControlChars() validator.String {
	return String("Invalid value", "value must not contain a newline, carriage return or NUL byte", CheckNoControlChars)
}
