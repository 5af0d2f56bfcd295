package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// source_headers_wo reaches the source's host, and no other host that it
// redirects to; the values never reach a log.
func TestSourceHeaders_onlyToSourceHost(t *testing.T) {
	const token = "Bearer t0ken-Secret"
	body := []byte("image bytes")
	var otherGot http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherGot = r.Header.Clone()
		_, _ = w.Write(body)
	}))
	t.Cleanup(other.Close)
	var sameGot []string
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != token || r.Header.Get("X-Api-Key") != "k3y" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		sameGot = append(sameGot, r.URL.Path)
		switch r.URL.Path {
		case "/elsewhere":
			http.Redirect(w, r, other.URL+"/signed?sig=1", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/image", http.StatusFound)
		default:
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(src.Close)
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	headers := map[string]string{"Authorization": token, "x-api-key": "k3y"}

	img, err := prepareImage(ctx, src.URL+"/moved", imageChecks{headers: headers})
	if err != nil {
		t.Fatalf("redirect on the same host: %v", err)
	}
	img.Close()
	if strings.Join(sameGot, " ") != "/moved /image" {
		t.Errorf("the source's host saw %v with the headers, want /moved then /image", sameGot)
	}

	img, err = prepareImage(ctx, src.URL+"/elsewhere", imageChecks{headers: headers})
	if err != nil {
		t.Fatalf("redirect to another host: %v", err)
	}
	img.Close()
	if otherGot == nil {
		t.Fatal("the other host was not asked")
	}
	for _, h := range []string{"Authorization", "X-Api-Key"} {
		if v := otherGot.Get(h); v != "" {
			t.Errorf("the host redirected to got %s: %q", h, v)
		}
	}

	if _, err := prepareImage(ctx, src.URL+"/image", imageChecks{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without the headers: %v, want a 401", err)
	}
	if strings.Contains(logs.String(), "t0ken-Secret") || strings.Contains(logs.String(), "k3y") {
		t.Errorf("a header value reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"X-Api-Key"`) {
		t.Errorf("the log does not name the headers sent:\n%s", logs.String())
	}
}

func TestCheckSourceHeader_namesAndValues(t *testing.T) {
	good := map[string]string{"Authorization": "Bearer x", "X-JFrog-Art-Api": "k", "private-token": ""}
	for k, v := range good {
		if err := checkSourceHeader(k, v); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	bad := []struct{ name, value, want string }{
		{"Bad Name", "x", `"Bad Name" is not an HTTP header name`},
		{"", "x", `"" is not an HTTP header name`},
		{"X-Token", "a\r\nInjected: 1", `the value of header "X-Token" holds a line break or NUL`},
		{"host", "evil", `header "host" is set by the HTTP client`},
		{"Content-Length", "1", `header "Content-Length" is set by the HTTP client`},
	}
	for _, b := range bad {
		err := checkSourceHeader(b.name, b.value)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: %v, want %q", b.name, err, b.want)
		}
		if err != nil && b.value != "" && strings.Contains(err.Error(), b.value) {
			t.Errorf("%q: the error shows the value: %v", b.name, err)
		}
	}
}

// imageConfig is an unikernel_image configuration with attrs set and every
// other attribute null.
func imageConfig(t *testing.T, attrs map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	NewImageResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for k, at := range typ.AttributeTypes {
		vals[k] = tftypes.NewValue(at, nil)
		if v, ok := attrs[k]; ok {
			vals[k] = v
		}
	}
	return tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, vals)}
}

func TestImageSourceHeaders_validation(t *testing.T) {
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	headers := tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{"Authorization": str("Bearer s3cret")})
	ociType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"reference": tftypes.String, "part": tftypes.String, "file": tftypes.String, "platform": tftypes.String,
	}}
	oci := tftypes.NewValue(ociType, map[string]tftypes.Value{
		"reference": str("registry.example.com/app:1"), "part": tftypes.NewValue(tftypes.String, nil),
		"file": tftypes.NewValue(tftypes.String, nil), "platform": tftypes.NewValue(tftypes.String, nil),
	})
	cases := map[string]struct {
		attrs        map[string]tftypes.Value
		err, warning string
	}{
		"https with headers": {attrs: map[string]tftypes.Value{"source": str("https://example.com/k"), "source_headers_wo": headers}},
		"local with headers": {attrs: map[string]tftypes.Value{"source": str("/k"), "source_headers_wo": headers},
			err: "source_headers_wo: source_headers_wo is sent with the download of an http:// or https:// source"},
		"oci with headers": {attrs: map[string]tftypes.Value{"oci": oci, "source_headers_wo": headers},
			err: "source_headers_wo: source_headers_wo is sent with the download of an http:// or https:// `source`; an `oci` source takes its credentials from the provider's `registries`"},
		"password in the URL": {attrs: map[string]tftypes.Value{"source": str("https://user:pa55@example.com/k")},
			warning: "source: The password in the `source` URL is stored in the state"},
		"user without password": {attrs: map[string]tftypes.Value{"source": str("https://user@example.com/k")}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			(&ImageResource{}).ValidateConfig(context.Background(), resource.ValidateConfigRequest{Config: imageConfig(t, c.attrs)}, &resp)
			var errs, warns []string
			for _, d := range resp.Diagnostics {
				msg := fmt.Sprint(d.(diag.DiagnosticWithPath).Path()) + ": " + d.Detail()
				if d.Severity() == diag.SeverityError {
					errs = append(errs, msg)
				} else {
					warns = append(warns, msg)
				}
			}
			if got := strings.Join(errs, "\n"); (c.err == "") != (got == "") || !strings.Contains(got, c.err) {
				t.Errorf("errors %q, want %q", got, c.err)
			}
			if got := strings.Join(warns, "\n"); (c.warning == "") != (got == "") || !strings.Contains(got, c.warning) {
				t.Errorf("warnings %q, want %q", got, c.warning)
			}
			if strings.Contains(fmt.Sprint(resp.Diagnostics), "s3cret") {
				t.Error("a header value is in a diagnostic")
			}
		})
	}
}
