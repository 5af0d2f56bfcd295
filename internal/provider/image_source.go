package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// progressStep is how often (in bytes) long transfers log their progress.
const progressStep = 64 << 20

type sourceKind int

const (
	sourceLocal sourceKind = iota
	sourceHTTP
	sourceHTTPS
)

// parseSource tells a local path from an http(s) URL, and refuses anything else.
func parseSource(s string) (sourceKind, error) {
	if s == "" {
		return 0, errors.New("the source is empty")
	}
	if strings.ContainsRune(s, 0) {
		return 0, errors.New("the source contains a NUL byte")
	}
	if !strings.Contains(s, "://") {
		return sourceLocal, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("the source is not a valid URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		if u.Host == "" {
			return 0, errors.New("the URL has no host")
		}
		return sourceHTTP, nil
	case "https":
		if u.Host == "" {
			return 0, errors.New("the URL has no host")
		}
		return sourceHTTPS, nil
	}
	return 0, fmt.Errorf("only local paths and http:// or https:// URLs are supported, not %s://", u.Scheme)
}

// redactSource is how a source appears in logs and messages: a URL's
// password (https://user:secret@host/...) is replaced by "xxxxx", so that
// credentials never reach a log at any level, nor an error.
func redactSource(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// progress logs every progressStep bytes that pass through a reader or writer.
type progress struct {
	ctx   context.Context
	what  string
	total int64 // -1 when unknown
	done  int64
	next  int64
}

func newProgress(ctx context.Context, what string, total int64) *progress {
	return &progress{ctx: ctx, what: what, total: total, next: progressStep}
}

func (p *progress) add(n int) {
	p.done += int64(n)
	if p.done < p.next {
		return
	}
	p.next = p.done + progressStep
	fields := map[string]any{"bytes_done": p.done}
	if p.total > 0 {
		fields["bytes_total"] = p.total
		fields["percent"] = p.done * 100 / p.total
	}
	tflog.Info(p.ctx, p.what, fields)
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

type progressWriter struct {
	w io.Writer
	p *progress
}

func (w progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.add(n)
	return n, err
}

// maxImageDownload caps what an http(s) source may send, so that a wrong
// or hostile URL cannot fill the host's temporary directory. Large disk
// images fit; UNIKERNEL_MAX_IMAGE_BYTES changes it.
var maxImageDownload = func() int64 {
	if v, err := strconv.ParseInt(os.Getenv("UNIKERNEL_MAX_IMAGE_BYTES"), 10, 64); err == nil && v > 0 {
		return v
	}
	return 64 << 30
}()

// maxImageRedirects bounds how many redirects an image download follows.
const maxImageRedirects = 5

// imageHTTPClient fetches http(s) sources. There is no overall timeout, since
// images can be large: the Terraform operation's context cancels a transfer.
// Certificates are checked against the system's roots (SSL_CERT_FILE and
// SSL_CERT_DIR are honoured). Redirects: at most maxImageRedirects, only to
// http(s), and never from https to http.
var imageHTTPClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: t, CheckRedirect: checkImageRedirect}
}()

func checkImageRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxImageRedirects {
		return fmt.Errorf("stopped after %d redirects", maxImageRedirects)
	}
	// Headers from source_headers_wo go to the source's host only: a
	// redirect elsewhere (a CDN, a signed storage URL) gets none of them.
	// Go itself drops only Authorization, Cookie and WWW-Authenticate.
	if first := via[0]; req.URL.Host != first.URL.Host {
		for k := range first.Header {
			req.Header.Del(k)
		}
	}
	switch req.URL.Scheme {
	case "http":
		if via[len(via)-1].URL.Scheme == "https" {
			return fmt.Errorf("refused a redirect from https to plain http (%s)", req.URL.Redacted())
		}
	case "https":
	default:
		return fmt.Errorf("refused a redirect to a %s:// URL", req.URL.Scheme)
	}
	return nil
}

// sourceError says which attribute a preparation failure belongs to.
type sourceError struct {
	attr string // "source", "sha256" or "format"
	err  error
}

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// preparedImage is an image checked and ready to upload: a local file (the
// source itself, or a temporary copy of a download), its size and format,
// and the digest its bytes must have (empty when not known yet).
type preparedImage struct {
	file   *os.File
	size   int64
	expect string // digest the streamed bytes must have; "" when unknown
	digest string // digest of the uploaded bytes, set by uploadImage
	format imageformat.Format
	result imageformat.Result
	remove string // temporary file to remove on close
}

func (p *preparedImage) Close() {
	_ = p.file.Close()
	if p.remove != "" {
		_ = os.Remove(p.remove)
	}
}

// imageChecks say what prepareImage must check before anything is created.
type imageChecks struct {
	// verify is a digest the configuration pins: the source is hashed and
	// compared before anything is created.
	verify string
	// expect is a digest the plan computed from a local file: the upload
	// hashes the bytes as they stream and refuses to commit unless they match
	// (no second read of the file up front).
	expect string
	// format is the explicit or planned format ("" detects).
	format imageformat.Format
	// headers are sent with the download of an http(s) source
	// (source_headers_wo), and only to the source's own host.
	headers map[string]string
}

// prepareImage checks the source before anything is created on the host:
// it downloads http(s) sources into a temporary file while hashing them,
// hashes a local file when a pinned digest must be verified, verifies it,
// and decides the format. Memory use is one fixed buffer whatever the
// image's size.
func prepareImage(ctx context.Context, source string, checks imageChecks) (*preparedImage, error) {
	kind, err := parseSource(source)
	if err != nil {
		return nil, &sourceError{"source", err}
	}
	img := &preparedImage{expect: checks.expect}
	file := source
	switch {
	case kind != sourceLocal:
		var digest string
		file, digest, img.size, err = fetchToTemp(ctx, source, checks.headers)
		if err != nil {
			return nil, &sourceError{"source", err}
		}
		img.remove, img.expect = file, digest
		if checks.expect != "" && checks.expect != digest {
			checks.verify = checks.expect
		}
	case checks.verify != "":
		tflog.Debug(ctx, "hashing image source", map[string]any{"source": redactSource(source)})
		img.expect, img.size, err = hashFile(ctx, source)
		if err != nil {
			return nil, &sourceError{"source", err}
		}
	default:
		st, err := os.Stat(source)
		if err != nil {
			return nil, &sourceError{"source", err}
		}
		if !st.Mode().IsRegular() {
			return nil, &sourceError{"source", fmt.Errorf("%s is not a regular file", source)}
		}
		img.size = st.Size()
	}
	fail := func(attr string, err error) (*preparedImage, error) {
		if img.file != nil {
			_ = img.file.Close()
		}
		if img.remove != "" {
			_ = os.Remove(img.remove)
		}
		return nil, &sourceError{attr, err}
	}
	if checks.verify != "" {
		if err := imageformat.Verify(checks.verify, img.expect); err != nil {
			return fail("sha256", err)
		}
	}
	if img.file, err = os.Open(file); err != nil {
		return fail("source", err)
	}
	if st, err := img.file.Stat(); err != nil || st.Size() != img.size {
		return fail("source", fmt.Errorf("%s changed while it was being read; try again", redactSource(source)))
	}
	img.format, img.result, err = imageformat.Decide(img.file, img.size, checks.format)
	if err != nil {
		attr := "source"
		if checks.format != "" {
			attr = "format"
		}
		return fail(attr, err)
	}
	tflog.Debug(ctx, "image source checked", map[string]any{"source": redactSource(source), "sha256": img.expect,
		"size": img.size, "format": string(img.format)})
	return img, nil
}

func hashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", path)
	}
	return imageformat.HashReader(progressReader{f, newProgress(ctx, "hashing image source", st.Size())})
}

// fetchToTemp downloads url into a new file under os.TempDir (mode 0600)
// while hashing it, sending headers with the request. The caller removes the
// file.
func fetchToTemp(ctx context.Context, source string, headers map[string]string) (file, digest string, size int64, err error) {
	src := redactSource(source) // for logs and messages
	// Header names only: their values are secrets.
	tflog.Debug(ctx, "downloading image source", map[string]any{"source": src, "headers": sortedHeaderNames(headers)})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return "", "", 0, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := imageHTTPClient.Do(req)
	if err != nil {
		return "", "", 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", "", 0, fmt.Errorf("GET %s answered %s", src, resp.Status)
	}
	if resp.ContentLength > maxImageDownload {
		return "", "", 0, fmt.Errorf("download %s: the image has %d bytes, more than the limit of %d (UNIKERNEL_MAX_IMAGE_BYTES)",
			src, resp.ContentLength, maxImageDownload)
	}
	f, err := os.CreateTemp("", "unikernel-image-*")
	if err != nil {
		return "", "", 0, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	hr := imageformat.NewHashingReader(io.LimitReader(resp.Body, maxImageDownload+1))
	n, err := imageformat.Copy(progressWriter{f, newProgress(ctx, "downloading image source", resp.ContentLength)}, hr)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", 0, fmt.Errorf("download %s: %w", src, err)
	}
	if n > maxImageDownload {
		return "", "", 0, fmt.Errorf("download %s: the image is larger than the limit of %d bytes (UNIKERNEL_MAX_IMAGE_BYTES)", src, maxImageDownload)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", "", 0, fmt.Errorf("download %s: got %d of %d bytes", src, n, resp.ContentLength)
	}
	tflog.Debug(ctx, "downloaded image source", map[string]any{"source": src, "size": n, "sha256": hr.Sum()})
	return tmp, hr.Sum(), n, nil
}

// volumeSpec is the volume that holds img: raw with the image's exact size,
// or qcow2 with the image's geometry (see hypervisor.VolumeSpec).
func volumeSpec(name string, img *preparedImage) hypervisor.VolumeSpec {
	spec := hypervisor.VolumeSpec{Name: name, Size: uint64(img.size), Format: img.format.VolumeFormat()}
	if q := img.result.QCOW2; img.format == imageformat.QCOW2 && q != nil {
		spec.VirtualSize = q.VirtualSize
		spec.ClusterSize = 1 << q.ClusterBits
		spec.Compat = "1.1"
		if q.Version == 2 {
			spec.Compat = "0.10"
		}
	}
	return spec
}

// uploadImage creates the volume and streams img into it, hashing the bytes
// as they go and refusing to commit the upload unless they have the digest
// that was checked or planned. It sets img.digest.
func uploadImage(ctx context.Context, c *hypervisor.Client, pool, name string, img *preparedImage) (hypervisor.VolumeInfo, error) {
	spec := volumeSpec(name, img)
	hr := imageformat.NewHashingReader(io.NewSectionReader(img.file, 0, img.size))
	r := progressReader{hr, newProgress(ctx, "uploading image", img.size)}
	tflog.Debug(ctx, "uploading image", map[string]any{"pool": pool, "volume": name, "size": img.size,
		"volume_format": spec.Format})
	start := time.Now()
	info, err := c.CreateVolumeFrom(ctx, pool, spec, r, func() error {
		img.digest = hr.Sum()
		if img.expect != "" {
			if err := imageformat.Verify(img.expect, img.digest); err != nil {
				return fmt.Errorf("the source changed since it was checked (at plan time or just now): %w", err)
			}
		}
		return nil
	})
	if err == nil {
		tflog.Debug(ctx, "uploaded image", map[string]any{"pool": pool, "volume": name, "size": img.size,
			"seconds": time.Since(start).Seconds()})
	}
	return info, err
}

// hashVolume downloads a volume through libvirt and returns its SHA-256.
func hashVolume(ctx context.Context, c *hypervisor.Client, pool, name string, size int64) (string, error) {
	h := sha256.New()
	_, err := c.DownloadVolume(ctx, pool, name, progressWriter{h, newProgress(ctx, "hashing imported volume", size)})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// headerNameRe is an HTTP field name (RFC 9110 token).
var headerNameRe = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// checkSourceHeader reports what is wrong with one entry of
// source_headers_wo, naming the header but never its value.
func checkSourceHeader(name, value string) error {
	if !headerNameRe.MatchString(name) {
		return fmt.Errorf("%q is not an HTTP header name: letters, digits and !#$%%&'*+-.^_`|~ only", name)
	}
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection":
		return fmt.Errorf("header %q is set by the HTTP client and cannot be given", name)
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("the value of header %q holds a line break or NUL", name)
	}
	return nil
}

func sortedHeaderNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, http.CanonicalHeaderKey(k))
	}
	sort.Strings(names)
	return names
}
