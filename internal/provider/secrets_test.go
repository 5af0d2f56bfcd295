package provider

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// Credentials in an image URL never reach a log (at trace level, the most
// verbose) nor an error message, whether the download succeeds or fails.
func TestImageSourceSecrets_notLogged(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	body := bytes.Repeat([]byte{0}, 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != secret {
			t.Errorf("the server did not get the credentials: %v %q", ok, u)
		}
		switch r.URL.Path {
		case "/ok.raw":
			_, _ = w.Write(body)
		case "/short.raw":
			w.Header().Set("Content-Length", "8192")
			_, _ = w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1)
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	var msgs []string
	for _, p := range []string{"/ok.raw", "/missing.raw", "/short.raw"} {
		img, err := prepareImage(ctx, base+p, imageChecks{})
		if err == nil {
			img.Close()
			continue
		}
		msgs = append(msgs, err.Error())
		var diags diag.Diagnostics
		addSourceError(&diags, "Unable to create image", base+p, err, "Nothing was created.")
		for _, d := range diags {
			msgs = append(msgs, d.Summary()+" "+d.Detail())
		}
	}
	// A checksum mismatch message names the source too.
	var diags diag.Diagnostics
	addSourceError(&diags, "Unable to create image", base+"/ok.raw", &sourceError{"sha256", errors.New("x")}, "")
	for _, d := range diags {
		msgs = append(msgs, d.Detail())
	}
	if len(msgs) < 2 {
		t.Fatalf("expected the failing downloads to fail: %v", msgs)
	}
	if !strings.Contains(logs.String(), "downloading image source") {
		t.Fatalf("no download was logged; the check below would prove nothing:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the password is in the logs:\n%s", logs.String())
	}
	for _, m := range msgs {
		if strings.Contains(m, secret) {
			t.Errorf("the password is in a message: %s", m)
		}
	}
}

// Registry credentials from the provider block never reach a log (at trace
// level) nor a message, when the registry takes them and when it refuses
// them; a plain-http registry is a warning that names it.
func TestRegistrySecrets_notLogged(t *testing.T) {
	const secret = "r3g1stry-Pa55"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p, ok := r.BasicAuth(); !ok || p != secret {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		http.NotFound(w, r) // authenticated: the tag does not exist
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	var msgs []string
	for _, pw := range []string{secret, secret + "-wrong"} {
		var diags diag.Diagnostics
		c := ociClient([]RegistryModel{{Address: types.StringValue(host), Username: types.StringValue("alice"),
			Password: types.StringValue(pw), CAFile: types.StringNull(), PlainHTTP: types.BoolValue(true)}}, &diags)
		if c == nil {
			t.Fatalf("registry settings refused: %v", diags)
		}
		if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning || !strings.Contains(diags[0].Detail(), host) {
			t.Errorf("plain http gave %v, want one warning naming %s", diags, host)
		}
		r := &ImageResource{data: &Data{OCI: c}}
		_, err := r.pullOCI(ctx, &ImageOCIModel{Reference: types.StringValue(host + "/team/app:1"),
			Platform: types.StringValue("amd64"), Part: types.StringNull(), File: types.StringNull()}, "")
		if err == nil {
			t.Fatal("the pull of a missing tag succeeded")
		}
		addOCIError(&diags, "Unable to create image", err, "Nothing was created.")
		for _, d := range diags {
			msgs = append(msgs, d.Summary()+" "+d.Detail())
		}
	}
	if !strings.Contains(logs.String(), "pulling OCI package") {
		t.Fatalf("no pull was logged; the check below would prove nothing:\n%s", logs.String())
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "not found") || !strings.Contains(joined, "refused the credentials") {
		t.Errorf("want a not-found and an auth error:\n%s", joined)
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(joined, secret) {
		t.Errorf("the password is in the logs or a message:\n%s\n%s", logs.String(), joined)
	}
}
