package hypervisor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// benchBoot measures define + start until the ready line appears in the
// console log, then stop + undefine (not timed). `make bench` runs it.
func benchBoot(b *testing.B, c *hypervisor.Client, spec func(name, log string) hypervisor.DomainSpec, ready string) {
	ctx := context.Background()
	dir := b.TempDir()
	re := regexp.MustCompile(ready)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := fmt.Sprintf("%s-%d", acctest.RandName("bench"), i)
		log := filepath.Join(dir, name+".log")
		b.StartTimer()
		start := time.Now()
		if _, err := c.DefineDomain(ctx, spec(name, log)); err != nil {
			b.Fatal(err)
		}
		if err := c.StartDomain(ctx, name); err != nil {
			b.Fatal(err)
		}
		for {
			if out, _ := os.ReadFile(log); re.Match(out) {
				break
			}
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("%s: no ready line", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		_ = c.StopDomain(ctx, name, 0)
		_ = c.UndefineDomain(ctx, name)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready/op")
}

// BenchmarkBootMultiboot: the C multiboot unikernel (16 MiB), start to ready line.
func BenchmarkBootMultiboot(b *testing.B) {
	acctest.PreCheck(b) // first: its leak check must run after this benchmark's own cleanups
	g := acctest.TestGuests(b)
	c, err := acctest.Client(b)
	if err != nil {
		b.Fatal(err)
	}
	benchBoot(b, c, func(name, log string) hypervisor.DomainSpec {
		return hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 16, Kernel: g.MultibootKernel,
			Cmdline: "bench", ConsoleLog: log}
	}, acctest.MultibootReady)
}

// BenchmarkBootMicroVM: the Linux microVM (128 MiB) to its DHCP address.
func BenchmarkBootMicroVM(b *testing.B) {
	acctest.PreCheck(b) // first: its leak check must run after this benchmark's own cleanups
	g := acctest.TestGuests(b)
	c, err := acctest.Client(b)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	net := acctest.RandName("bnet")
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: net, Mode: "isolated", IPv4CIDR: "10.213.78.0/24",
		DHCP: true, DHCPStart: "10.213.78.100", DHCPEnd: "10.213.78.200", NoPing: true}, false); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.DeleteNetwork(ctx, net) })
	benchBoot(b, c, func(name, log string) hypervisor.DomainSpec {
		return hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 128, Kernel: g.MicroVMKernel,
			Initrd: g.MicroVMInitrd, Cmdline: "console=ttyS0 panic=-1 quiet", ConsoleLog: log,
			Interfaces: []hypervisor.InterfaceSpec{{Network: net}}}
	}, acctest.MicroVMReady)
}

// BenchmarkBootMicroVMFirmware: the Linux microVM (256 MiB, static address)
// under the default BIOS and under UEFI (OVMF), define + start to its ready
// line. `go test -run '^$' -bench BootMicroVMFirmware -benchtime 3x`.
func BenchmarkBootMicroVMFirmware(b *testing.B) {
	acctest.PreCheck(b) // first: its leak check must run after this benchmark's own cleanups
	g := acctest.TestGuests(b)
	c, err := acctest.Client(b)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	net := acctest.RandName("bnet")
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: net, Mode: "isolated", IPv4CIDR: "10.213.79.0/24"}, false); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.DeleteNetwork(ctx, net) })
	for _, fw := range []string{"bios", hypervisor.FirmwareEFI} {
		b.Run(fw, func(b *testing.B) {
			benchBoot(b, c, func(name, log string) hypervisor.DomainSpec {
				return hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 256, Kernel: g.MicroVMKernel,
					Initrd: g.MicroVMInitrd, Cmdline: "console=ttyS0 panic=-1 microvm.ipv4=10.213.79.50/24", ConsoleLog: log,
					Interfaces: []hypervisor.InterfaceSpec{{Network: net}}, Firmware: fw}
			}, acctest.MicroVMReady)
		})
	}
}
