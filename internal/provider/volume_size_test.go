package provider

import (
	"strings"
	"testing"
)

func TestParseSize_units(t *testing.T) {
	for in, want := range map[string]uint64{
		"512":          512,
		"1073741824":   1 << 30,
		"1024B":        1024,
		"4KiB":         4 << 10,
		"2GiB":         2 << 30,
		"512 MiB":      512 << 20,
		" 3MiB ":       3 << 20,
		"1TiB":         1 << 40,
		"1GB":          1_000_000_000,
		"1TB":          1_000_000_000_000,
		"8388607TiB":   8388607 << 40,
		"00000000512B": 512,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":                     "is not a size",
		"0":                    "is zero",
		"0GiB":                 "is zero",
		"-1":                   "is not a size",
		"-2GiB":                "is not a size",
		"abc":                  "is not a size",
		"GiB":                  "is not a size",
		"1.5GiB":               `unknown unit ".5GiB"`,
		"2XB":                  `unknown unit "XB"`,
		"2gib":                 `unknown unit "gib"`,
		"2G":                   `unknown unit "G"`,
		"2 GiB x":              `unknown unit "GiB x"`,
		"1000":                 "not a whole number of 512-byte sectors; use 512 or 1024",
		"1KB":                  "not a whole number of 512-byte sectors",
		"10MB":                 "not a whole number of 512-byte sectors",
		"8388608TiB":           "too large",
		"99999999999999999999": "too large",
	} {
		_, err := parseSize(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("parseSize(%q) = %v; want an error with %q", in, err, msg)
		}
	}
}

func TestFormatSize_largestUnit(t *testing.T) {
	for n, want := range map[uint64]string{
		512: "512", 1024: "1KiB", 1536: "1536", 3 << 20: "3MiB", 1536 << 20: "1536MiB", 2 << 30: "2GiB",
		1 << 40: "1TiB", 1_000_000_000: "1000000000",
	} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := parseSize(formatSize(n)); err != nil || back != n {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", n, back, err)
		}
	}
}
