// Package doccheck checks the links of the repository's Markdown: every
// relative link names a file that exists, every #anchor names a heading (by
// GitHub's slug rules) or an HTML anchor of its page, and internal links keep
// one style: relative paths to .md files, never absolute URLs of this
// repository, and from the documentation under docs/ (and the templates it
// is generated from) never a path outside docs/.
//
// Templates are checked where they render: templates/guides/x.md.tmpl is
// docs/guides/x.md, so its links resolve against docs/.
package doccheck

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// RepoURL is this repository's address: links to it must be relative.
const RepoURL = "github.com/unikernel-dev/terraform-provider-unikernel"

// Problem is one bad link.
type Problem struct {
	File   string // repository-relative path of the file that has the link
	Line   int
	Target string
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: link %q: %s", p.File, p.Line, p.Target, p.Reason)
}

// Files returns the Markdown files the checker covers under root, as
// repository-relative slash paths: docs/**/*.md, templates/**/*.tmpl,
// examples/**/*.md and the top-level *.md files.
func Files(root string) ([]string, error) {
	var out []string
	top, err := filepath.Glob(filepath.Join(root, "*.md"))
	if err != nil {
		return nil, err
	}
	for _, f := range top {
		out = append(out, filepath.Base(f))
	}
	for _, dir := range []string{"docs", "templates", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			if strings.HasSuffix(p, ".md") || (dir == "templates" && strings.HasSuffix(p, ".md.tmpl")) {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Check checks the links of every file that Files returns.
func Check(root string) ([]Problem, error) {
	files, err := Files(root)
	if err != nil {
		return nil, err
	}
	c := &checker{root: root, anchors: map[string]map[string]bool{}}
	var out []Problem
	for _, f := range files {
		ps, err := c.file(f)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

type checker struct {
	root    string
	anchors map[string]map[string]bool // by repository-relative path
}

// rendered is where a file is shown: a template's page under docs/.
func rendered(file string) string {
	if rest, ok := strings.CutPrefix(file, "templates/"); ok {
		return "docs/" + strings.TrimSuffix(rest, ".tmpl")
	}
	return file
}

func inDocs(p string) bool { return p == "docs" || strings.HasPrefix(p, "docs/") }

var (
	// [text](target) and ![alt](target), with an optional title.
	inlineLinkRe = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// [label]: target
	refDefRe    = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	codeSpanRe  = regexp.MustCompile("`+[^`]*`+")
	templateRe  = regexp.MustCompile(`\{\{.*?\}\}`)
	headingRe   = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	htmlIDRe    = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	fenceRe     = regexp.MustCompile("^\\s{0,3}(```+|~~~+)")
	schemeRe    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	mdLinkTxtRe = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTagRe   = regexp.MustCompile(`<[^>]+>`)
)

// lines calls fn for every line of b outside fenced code blocks.
func lines(b []byte, fn func(n int, line string)) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fence := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence = m[1][:1]
			case m[1][:1] == fence:
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		fn(n, line)
	}
}

func (c *checker) file(file string) ([]Problem, error) {
	b, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	var out []Problem
	lines(b, func(n int, line string) {
		line = templateRe.ReplaceAllString(codeSpanRe.ReplaceAllString(line, ""), "")
		var targets []string
		for _, m := range inlineLinkRe.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		if m := refDefRe.FindStringSubmatch(line); m != nil {
			targets = append(targets, m[1])
		}
		for _, t := range targets {
			if reason := c.link(file, t); reason != "" {
				out = append(out, Problem{File: file, Line: n, Target: t, Reason: reason})
			}
		}
	})
	return out, nil
}

// link returns why target, linked from file, is wrong, or "".
func (c *checker) link(file, target string) string {
	if target == "" {
		return "empty link"
	}
	if strings.Contains(target, RepoURL) {
		return "an absolute URL of this repository: use a relative path"
	}
	if schemeRe.MatchString(target) || strings.HasPrefix(target, "//") {
		return "" // external
	}
	p, frag, _ := strings.Cut(target, "#")
	if q, err := url.PathUnescape(p); err == nil {
		p = q
	}
	at := rendered(file)
	dest := at
	if p != "" {
		if strings.HasPrefix(p, "/") {
			return "an absolute path: use a path relative to this file"
		}
		dest = path.Clean(path.Join(path.Dir(at), p))
		if strings.HasPrefix(dest, "../") || dest == ".." {
			return "points outside the repository"
		}
		if strings.HasPrefix(dest, "templates/") || dest == "templates" {
			return "links to a template: link the generated page under docs/"
		}
		if inDocs(at) && !inDocs(dest) {
			return "leaves docs/ (the registry shows docs/ alone): write the repository path as code text instead"
		}
		st, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(dest)))
		if err != nil {
			if _, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(dest+".md"))); err == nil {
				return fmt.Sprintf("no such file; link the page as %q", p+".md")
			}
			return fmt.Sprintf("no such file: %s", dest)
		}
		if st.IsDir() {
			if frag != "" {
				return "an anchor into a directory"
			}
			return ""
		}
	}
	if frag == "" {
		return ""
	}
	if !strings.HasSuffix(dest, ".md") {
		return "" // anchors into source files are line numbers and the like
	}
	anchors, err := c.anchorsOf(dest)
	if err != nil {
		return err.Error()
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	if !anchors[frag] {
		return fmt.Sprintf("no heading or anchor %q in %s", frag, dest)
	}
	return ""
}

func (c *checker) anchorsOf(file string) (map[string]bool, error) {
	if a, ok := c.anchors[file]; ok {
		return a, nil
	}
	b, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	c.anchors[file] = Anchors(b)
	return c.anchors[file], nil
}

// Anchors returns the anchors of a Markdown page as GitHub makes them: a slug
// per heading (numbered -1, -2, ... when it repeats) and every
// <a id="..."> or <a name="...">.
func Anchors(b []byte) map[string]bool {
	out := map[string]bool{}
	count := map[string]int{}
	lines(b, func(_ int, line string) {
		for _, m := range htmlIDRe.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := headingRe.FindStringSubmatch(line)
		if m == nil {
			return
		}
		s := Slug(m[2])
		if n := count[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		count[s]++
	})
	return out
}

// Slug is GitHub's anchor for a heading's text: the text as shown (link
// targets and HTML tags left out), in lower case, without punctuation other
// than '-' and '_', with spaces as '-'.
func Slug(heading string) string {
	heading = mdLinkTxtRe.ReplaceAllString(heading, "$1")
	heading = htmlTagRe.ReplaceAllString(heading, "")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
