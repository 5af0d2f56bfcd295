package main

import (
	"math"
	"reflect"
	"runtime/debug"
	"testing"
)

func TestQuietLogEnv(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want map[string]string
	}{
		{[]string{"HOME=/root", "PATH=/bin"}, map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"}},
		{[]string{"TF_LOG=debug"}, nil},
		{[]string{"TF_LOG_PROVIDER=trace"}, nil},
		{[]string{"TF_LOG_PROVIDER_UNIKERNEL=debug"}, nil},
		{[]string{"TF_LOG_SDK_FRAMEWORK=trace"}, nil},
		{[]string{"TF_LOG_PATH=/tmp/tf.log"}, nil},
		{[]string{"XTF_LOG=debug"}, map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"}},
	} {
		if got := quietLogEnv(tc.env); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("quietLogEnv(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestTuneGC(t *testing.T) {
	restorePercent := debug.SetGCPercent(100)
	restoreLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(restorePercent)
		debug.SetMemoryLimit(restoreLimit)
	})

	tuneGC("", "")
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GC percent with GOGC unset = %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != gcMemoryLimit {
		t.Errorf("memory limit with GOMEMLIMIT unset = %d, want %d", got, gcMemoryLimit)
	}

	// The user's own settings win: the runtime has already applied them.
	tuneGC("50", "1GiB")
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent with GOGC set = %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit with GOMEMLIMIT set = %d, want it left alone", got)
	}
}
