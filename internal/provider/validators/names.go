package validators

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// MaxPoolName is the longest pool name accepted.
const MaxPoolName = 128

// CheckPoolName is the one rule for storage pool names: `unikernel_pool.name`,
// the provider's `console_pool`, and the `pool` of images and data sources.
//
// It accepts what libvirt accepts for a pool name (anything without `/`)
// that is also safe as one path component on the host: 1 to 128 bytes, no
// `/`, no control characters, and neither `.` nor `..`. Spaces and
// non-ASCII letters are allowed, as libvirt allows them.
//
// Before this rule, `unikernel_pool.name` accepted the same set, and
// `console_pool` accepted only `A-Z a-z 0-9 _ . -`, `.` and `..` included:
// the console pool now accepts more, and only `.` and `..` (which no pool
// directory can be named) are refused where they were accepted, with an
// error that says so.
func CheckPoolName(s string) error {
	if s == "" || len(s) > MaxPoolName || strings.ContainsRune(s, '/') ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("must be 1 to %d characters without `/` or control characters, got %q", MaxPoolName, s)
	}
	return CheckNotDotName(s)
}

// PoolName validates a storage pool name with CheckPoolName.
func PoolName() validator.String {
	return String("Invalid pool name", fmt.Sprintf("value must be a pool name of 1 to %d characters without `/` or "+
		"control characters, other than `.` and `..`", MaxPoolName), CheckPoolName)
}

// CheckPoolPath is the one rule for the directory of a `dir` storage pool:
// `unikernel_pool.path` and the provider's `console_path`. It must be an
// absolute, clean host path other than `/`, without a NUL byte. libvirt
// accepts any absolute path; a path that is not clean would be stored as
// written and show as a change after every apply, and the root directory
// would make the whole host file system a pool.
func CheckPoolPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("must be an absolute host path, got %q", p)
	case strings.ContainsRune(p, 0):
		return errors.New("must not contain a NUL byte")
	case path.Clean(p) != p:
		return fmt.Errorf("must be a clean path (no `..`, `.`, `//` or trailing `/`); did you mean %q?", path.Clean(p))
	case p == "/":
		return errors.New("must not be the root directory")
	}
	return nil
}

// PoolPath validates the directory of a storage pool with CheckPoolPath.
func PoolPath() validator.String {
	return String("Invalid pool path", "value must be an absolute, clean host path (no `..`, `.`, `//` or trailing `/`) other than `/`",
		CheckPoolPath)
}

var imageNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// CheckImageName accepts volume names that are safe file names: letters,
// digits, `.`, `_` and `-`, without `..` and other than `.`.
func CheckImageName(s string) error {
	switch {
	case !imageNamePattern.MatchString(s):
		return fmt.Errorf("may contain only letters, digits, `.`, `_` and `-`, got %q", s)
	case strings.Contains(s, ".."), s == ".":
		return fmt.Errorf("must not be `.` or contain `..`, got %q", s)
	}
	return nil
}

// ImageName validates a volume name with CheckImageName.
func ImageName() validator.String {
	return String("Invalid image name", "value must contain only `A-Z a-z 0-9 . _ -`, must not contain `..` and must not be `.`",
		CheckImageName)
}
