package provider

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sectorSize is the unit block devices count in: a volume's size must be a
// whole number of sectors, or the guest would not see its last bytes (and
// qcow2 rounds the size up, which would show as drift).
const sectorSize = 512

// sizeUnits are the units `size` accepts, in bytes: binary units (powers of
// 1024) and decimal ones (powers of 1000), case-sensitive.
var sizeUnits = map[string]uint64{
	"B":   1,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
}

// sizeUnitsText lists the accepted units for messages and documentation.
const sizeUnitsText = "`B`, `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024) or `KB`, `MB`, `GB`, `TB` (powers of 1000)"

// parseSize reads a volume size: a whole number of bytes ("1073741824") or a
// whole number with a unit ("2GiB", "512 MiB", "10GB"). It must be more than
// zero, fit in a signed 64-bit integer and be a multiple of 512 bytes. Pure.
func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, fmt.Errorf("%q is not a size: write a whole number of bytes, or a whole number with a unit, "+
			"for example \"2GiB\"", s)
	}
	mult := uint64(1)
	if unit != "" {
		m, ok := sizeUnits[unit]
		if !ok {
			return 0, fmt.Errorf("%q has the unknown unit %q: use %s", s, unit, strings.ReplaceAll(sizeUnitsText, "`", ""))
		}
		mult = m
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	n *= mult
	switch {
	case n == 0:
		return 0, fmt.Errorf("%q is zero: a volume needs at least %d bytes", s, sectorSize)
	case n%sectorSize != 0:
		return 0, fmt.Errorf("%q is %d bytes, which is not a whole number of %d-byte sectors; use %d or %d",
			s, n, sectorSize, n/sectorSize*sectorSize, (n/sectorSize+1)*sectorSize)
	}
	return n, nil
}

// formatSize writes bytes in the largest binary unit that divides it
// exactly ("2GiB", "1536MiB"), or as a plain number of bytes.
func formatSize(n uint64) string {
	for _, u := range []string{"TiB", "GiB", "MiB", "KiB"} {
		if m := sizeUnits[u]; n >= m && n%m == 0 {
			return strconv.FormatUint(n/m, 10) + u
		}
	}
	return strconv.FormatUint(n, 10)
}
