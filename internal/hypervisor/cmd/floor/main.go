// Command floor does what an apply and a destroy of N multiboot instances
// cost at the least: the same libvirt calls the provider makes, at the same
// parallelism, with no Terraform and no provider in between. `make bench`
// runs it next to the provider and reports the ratio between the two.
//
// Each instance is a minimal domain (16 MiB, the multiboot test unikernel,
// its serial port written to a file, no ACPI, no USB, no balloon), defined
// and started, and counted as ready once its console file holds the ready
// line. Destroy is a hard stop and an undefine. Each worker has a connection
// of its own, so libvirtd's per-client request limit does not slow it down.
//
//	go run ./internal/hypervisor/cmd/floor -n 50 -p 10 -kernel build/guests/multiboot/kernel.elf
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func main() {
	n := flag.Int("n", 50, "instances")
	p := flag.Int("p", 10, "parallelism")
	uri := flag.String("uri", "qemu:///system", "libvirt URI (local: console files are read from this host)")
	kernel := flag.String("kernel", "build/guests/multiboot/kernel.elf", "multiboot kernel")
	typ := flag.String("type", "qemu", "domain type")
	dir := flag.String("dir", "/var/lib/unikernel/floor", "directory for console files")
	prefix := flag.String("prefix", "tf-acc-floor-", "domain name prefix")
	ready := flag.String("ready", "UNIKERNEL-READY", "console line that marks an instance ready")
	timeout := flag.Duration("timeout", 2*time.Minute, "readiness timeout per instance")
	flag.Parse()

	abs, err := filepath.Abs(*kernel)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fail(err)
	}
	names := make([]string, *n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%d", *prefix, i)
	}
	create := run(*uri, *p, names, func(c *libvirt.Connect, name string) error {
		log := filepath.Join(*dir, name+".log")
		_ = os.Remove(log)
		x, err := minimalXML(name, *typ, abs, log)
		if err != nil {
			return err
		}
		dom, err := c.DomainDefineXML(x)
		if err != nil {
			return err
		}
		defer func() { _ = dom.Free() }()
		if err := dom.Create(); err != nil {
			return err
		}
		deadline := time.Now().Add(*timeout)
		for time.Now().Before(deadline) {
			if b, err := os.ReadFile(log); err == nil && bytes.Contains(b, []byte(*ready)) {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		return fmt.Errorf("%s: no %q on its console after %s", name, *ready, *timeout)
	})
	destroy := run(*uri, *p, names, func(c *libvirt.Connect, name string) error {
		dom, err := c.LookupDomainByName(name)
		if err != nil {
			return err
		}
		defer func() { _ = dom.Free() }()
		if err := dom.Destroy(); err != nil {
			return err
		}
		if err := dom.Undefine(); err != nil {
			return err
		}
		return os.Remove(filepath.Join(*dir, name+".log"))
	})
	fmt.Printf("floor instances=%d parallelism=%d create_s=%.2f destroy_s=%.2f\n", *n, *p, create.Seconds(), destroy.Seconds())
}

// run calls f for every name on p workers, each with a connection of its
// own, and returns the wall time. Any error ends the program.
func run(uri string, p int, names []string, f func(*libvirt.Connect, string) error) time.Duration {
	work := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	conns := make([]*libvirt.Connect, p)
	for i := range conns {
		c, err := libvirt.NewConnect(uri)
		if err != nil {
			fail(err)
		}
		conns[i] = c
	}
	start := time.Now()
	for _, c := range conns {
		wg.Add(1)
		go func(c *libvirt.Connect) {
			defer wg.Done()
			for name := range work {
				if err := f(c, name); err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			}
		}(c)
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	for _, c := range conns {
		_, _ = c.Close()
	}
	close(errs)
	for err := range errs {
		fail(err)
	}
	return elapsed
}

// minimalXML is the least a multiboot guest needs: memory, a kernel and its
// command line, and a serial port written to a file.
func minimalXML(name, typ, kernel, log string) (string, error) {
	d := &libvirtxml.Domain{
		Type:   typ,
		Name:   name,
		Memory: &libvirtxml.DomainMemory{Value: 16, Unit: "MiB"},
		VCPU:   &libvirtxml.DomainVCPU{Value: 1},
		OS: &libvirtxml.DomainOS{
			Type:    &libvirtxml.DomainOSType{Type: "hvm", Arch: "x86_64", Machine: "pc"},
			Kernel:  kernel,
			Cmdline: "floor",
		},
		OnReboot: "destroy",
		Devices: &libvirtxml.DomainDeviceList{
			Controllers: []libvirtxml.DomainController{{Type: "usb", Model: "none"}},
			Serials: []libvirtxml.DomainSerial{{
				Source: &libvirtxml.DomainChardevSource{File: &libvirtxml.DomainChardevSourceFile{Path: log}},
			}},
			MemBalloon: &libvirtxml.DomainMemBalloon{Model: "none"},
		},
	}
	return d.Marshal()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}
