package provider

import (
	"context"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// DefaultXenConsolePool is the console pool's name on a Xen host, where it
// covers xenconsoled's log directory rather than the provider's own.
const DefaultXenConsolePool = "unikernel-xen-console"

// consolePool chooses where console logs are read from. On QEMU, virtlogd
// writes them into the provider's console pool. On Xen, libxl ignores the
// domain's <log file> and xenconsoled writes guest-<name>.log into its own
// log directory, so the pool covers that directory instead.
func consolePool(ctx context.Context, client *hypervisor.Client, m UnikernelProviderModel) (hypervisor.ConsolePool, error) {
	xen, err := client.IsXen(ctx)
	if err != nil {
		return hypervisor.ConsolePool{}, err
	}
	if xen {
		return hypervisor.ConsolePool{Name: stringOr(m.ConsolePool, DefaultXenConsolePool),
			Path: stringOr(m.ConsolePath, hypervisor.XenConsolePath), Xen: true}, nil
	}
	return hypervisor.ConsolePool{Name: stringOr(m.ConsolePool, DefaultConsolePool),
		Path: stringOr(m.ConsolePath, DefaultConsolePath)}, nil
}
