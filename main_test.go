package main

import (
	"reflect"
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
