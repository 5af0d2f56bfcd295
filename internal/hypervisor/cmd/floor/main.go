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
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func main() {
	n := flag.Int("n", 50, "instances")
	p := flag.Int("p", 10, "parallelism")
	defURI := "qemu:///system"
	if u := os.Getenv("LIBVIRT_DEFAULT_URI"); u != "" {
		defURI = u
	}
	uri := flag.String("uri", defURI, "libvirt URI (local: console files are read from this host); default LIBVIRT_DEFAULT_URI, else qemu:///system")
	kernel := flag.String("kernel", "build/guests/multiboot/kernel.elf", "multiboot kernel")
	typ := flag.String("type", "qemu", "domain type")
	dir := flag.String("dir", "/var/lib/unikernel/floor", "directory for console files")
	prefix := flag.String("prefix", "tf-acc-floor-", "domain name prefix")
	ready := flag.String("ready", "UNIKERNEL-READY", "console line that marks an instance ready")
	timeout := flag.Duration("timeout", 2*time.Minute, "readiness timeout per instance")
	acpi := flag.Bool("acpi", false, "give the guests ACPI (as the provider does), to measure its cost")
	pty := flag.Bool("pty", false, "a pty serial port logged by virtlogd (as the provider does) instead of a file")
	pss := flag.Bool("pss", false, "report the mean PSS of the guests' qemu processes once all are ready")
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
		x, err := minimalXML(name, *typ, abs, log, *acpi, *pty)
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
	if *pss {
		mean, err := meanPSS(*uri, names)
		if err != nil {
			fail(err)
		}
		fmt.Printf("floor pss_mib=%.2f acpi=%v pty=%v\n", mean, *acpi, *pty)
	}
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

// meanPSS is the mean proportional set size of the guests' qemu processes,
// in MiB, from /proc (the local host only).
// The daemon's /run/libvirt is the directory of its socket when the URI
// names one (the harness daemon runs in a mount namespace of its own).
func meanPSS(uri string, names []string) (float64, error) {
	run := "/run/libvirt"
	if u, err := url.Parse(uri); err == nil && u.Query().Get("socket") != "" {
		run = filepath.Dir(u.Query().Get("socket"))
	}
	var total float64
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(run, "qemu", name+".pid"))
		if err != nil {
			return 0, err
		}
		rollup, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(b)), "smaps_rollup"))
		if err != nil {
			return 0, err
		}
		kib := -1.0
		for _, line := range strings.Split(string(rollup), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
				kib, err = strconv.ParseFloat(f[1], 64)
				if err != nil {
					return 0, err
				}
			}
		}
		if kib < 0 {
			return 0, fmt.Errorf("no Pss line for %s", name)
		}
		total += kib / 1024
	}
	return total / float64(len(names)), nil
}

// minimalXML is the least a multiboot guest needs: memory, a kernel and its
// command line, and a serial port written to a file. acpi and pty add what
// the provider's domains carry, to measure what each costs.
func minimalXML(name, typ, kernel, log string, acpi, pty bool) (string, error) {
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
	if acpi {
		d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}}
	}
	if pty {
		d.Devices.Serials = []libvirtxml.DomainSerial{{
			Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
			Log:    &libvirtxml.DomainChardevLog{File: log, Append: "on"},
		}}
	}
	return d.Marshal()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}
