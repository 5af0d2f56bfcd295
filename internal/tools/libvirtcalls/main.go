// Command libvirtcalls lists the libvirt C functions that the provider can call:
// every function and method of libvirt.org/go/libvirt that internal/hypervisor
// uses (found with go/types on the compiler's export data), followed through the
// bindings' own functions to the C wrappers they call (virFooWrapper calls
// virFoo). scripts/release.sh joins the list with the symbol versions of
// libvirt.so.0 to find the oldest client library the provider works with.
//
//	go run ./internal/tools/libvirtcalls [-tags libvirt_dlopen]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const (
	adapter  = "github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	bindings = "libvirt.org/go/libvirt"
)

type listed struct {
	ImportPath string
	Dir        string
	Export     string
	GoFiles    []string
	CgoFiles   []string
}

func main() {
	tags := flag.String("tags", "", "build tags, as for go build")
	flag.Parse()
	if err := run(*tags, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "libvirtcalls:", err)
		os.Exit(1)
	}
}

func run(tags string, out io.Writer) error {
	pkgs, err := goList(tags)
	if err != nil {
		return err
	}
	used, err := bindingsUsedBy(pkgs[adapter], pkgs)
	if err != nil {
		return err
	}
	calls, err := cFunctions(pkgs[bindings], used)
	if err != nil {
		return err
	}
	for _, c := range calls {
		fmt.Fprintln(out, c)
	}
	return nil
}

func goList(tags string) (map[string]*listed, error) {
	args := []string{"list", "-deps", "-export", "-json"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, adapter)...)
	cmd.Stderr = os.Stderr
	data, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	pkgs := map[string]*listed{}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	for dec.More() {
		p := &listed{}
		if err := dec.Decode(p); err != nil {
			return nil, err
		}
		pkgs[p.ImportPath] = p
	}
	for _, want := range []string{adapter, bindings} {
		if pkgs[want] == nil {
			return nil, fmt.Errorf("go list did not report %s", want)
		}
	}
	return pkgs, nil
}

// bindingsUsedBy type-checks pkg against export data and returns the names of
// the bindings' functions and methods it refers to ("NewConnect",
// "Connect.ListAllDomains").
func bindingsUsedBy(pkg *listed, all map[string]*listed) (map[string]bool, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p := all[path]
		if p == nil || p.Export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(p.Export)
	})
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check(pkg.ImportPath, fset, files, info); err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, obj := range info.Uses {
		fn, ok := obj.(*types.Func)
		if !ok || fn.Pkg() == nil || fn.Pkg().Path() != bindings {
			continue
		}
		used[funcKey(fn.Type().(*types.Signature), fn.Name())] = true
	}
	return used, nil
}

func funcKey(sig *types.Signature, name string) string {
	if sig.Recv() == nil {
		return name
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name() + "." + name
	}
	return name
}

var wrapperCall = regexp.MustCompile(`^(vir[A-Za-z0-9]+?)(Wrapper|Helper)$`)

// cFunctions follows the bindings' functions from used to the C wrappers they
// call, and returns the libvirt functions behind those wrappers, sorted.
func cFunctions(pkg *listed, used map[string]bool) ([]string, error) {
	fset := token.NewFileSet()
	decls := map[string]*ast.FuncDecl{}
	for _, name := range append(append([]string{}, pkg.GoFiles...), pkg.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				decls[declKey(fd)] = fd
			}
		}
	}
	seen := map[string]bool{}
	found := map[string]bool{}
	var visit func(key string)
	visit = func(key string) {
		if seen[key] {
			return
		}
		seen[key] = true
		fd := decls[key]
		if fd == nil {
			return
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch f := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := f.X.(*ast.Ident); ok && x.Name == "C" {
					if m := wrapperCall.FindStringSubmatch(f.Sel.Name); m != nil {
						found[m[1]] = true
					}
					return true
				}
				// A method of the bindings on any receiver: follow every type's method of that name
				// that the bindings declare (an over-approximation, never an omission).
				for k := range decls {
					if strings.HasSuffix(k, "."+f.Sel.Name) {
						visit(k)
					}
				}
			case *ast.Ident:
				visit(f.Name)
			}
			return true
		})
	}
	for key := range used {
		if decls[key] == nil {
			return nil, fmt.Errorf("%s.%s is used but not declared in %s", bindings, key, pkg.Dir)
		}
		visit(key)
	}
	var names []string
	for n := range found {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func declKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}
