package acctest

// Checks that acceptance tests run against libvirt itself: the shared
// connection, reads of one object, and the CheckDestroy of every resource
// type, all built on one shape.

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// connect opens (or reuses) the process-wide connection to the test daemon.
func connect() (*hypervisor.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return hypervisor.Shared(ctx, URI(), 10*time.Second)
}

// Client returns the shared connection to the test daemon.
func Client(t testing.TB) (*hypervisor.Client, error) {
	t.Helper()
	return connect()
}

// MustClient returns the shared connection to the test daemon, for
// out-of-band changes and checks, and fails the test when it does not answer.
func MustClient(t testing.TB) *hypervisor.Client {
	t.Helper()
	c, err := connect()
	if err != nil {
		t.Fatalf("libvirt at %s does not answer: %v", URI(), err)
	}
	return c
}

// CheckLibvirt runs check against the test daemon as a test step check.
func CheckLibvirt(check func(ctx context.Context, c *hypervisor.Client) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := connect()
		if err != nil {
			return err
		}
		return check(context.Background(), c)
	}
}

// checkDestroyed is the shape of every CheckDestroy: for each resource of
// type typ left in the state, gone returns an error when what it managed is
// still on the host.
func checkDestroyed(typ string, gone func(ctx context.Context, c *hypervisor.Client, attrs map[string]string) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		c, err := connect()
		if err != nil {
			return err
		}
		for _, rs := range s.RootModule().Resources {
			if rs.Type != typ {
				continue
			}
			if err := gone(context.Background(), c, rs.Primary.Attributes); err != nil {
				return err
			}
		}
		return nil
	}
}

// CheckPoolsDestroyed asks libvirt whether the pools of the state are gone,
// and checks that their directories are too.
var CheckPoolsDestroyed = checkDestroyed("unikernel_pool", func(ctx context.Context, c *hypervisor.Client, a map[string]string) error {
	name := a["name"]
	if _, err := c.ReadPool(ctx, name); !hypervisor.IsNotFound(err) {
		return fmt.Errorf("pool %s still defined after destroy: %s", name, fmt.Sprint(err))
	}
	if _, err := os.Stat(a["path"]); !os.IsNotExist(err) {
		return fmt.Errorf("directory of pool %s still there after destroy: %s", name, fmt.Sprint(err))
	}
	return nil
})

// CheckImagesDestroyed asks libvirt whether the volumes and the pools of the
// state are gone.
var CheckImagesDestroyed = resource.ComposeTestCheckFunc(
	checkDestroyed("unikernel_image", func(ctx context.Context, c *hypervisor.Client, a map[string]string) error {
		pool, name := a["pool"], a["name"]
		if _, err := c.ReadVolume(ctx, pool, name); !hypervisor.IsNotFound(err) {
			return fmt.Errorf("volume %s/%s still there after destroy: %s", pool, name, fmt.Sprint(err))
		}
		return nil
	}),
	CheckPoolsDestroyed,
)

// CheckVolumesDestroyed asks libvirt whether the volumes (unikernel_volume)
// of the state are gone.
var CheckVolumesDestroyed = checkDestroyed("unikernel_volume", func(ctx context.Context, c *hypervisor.Client, a map[string]string) error {
	pool, name := a["pool"], a["name"]
	if _, err := c.ReadVolume(ctx, pool, name); !hypervisor.IsNotFound(err) {
		return fmt.Errorf("volume %s/%s still there after destroy: %s", pool, name, fmt.Sprint(err))
	}
	return nil
})

// CheckNetworksDestroyed asks libvirt that no network of the state exists
// any more.
var CheckNetworksDestroyed = checkDestroyed("unikernel_network", func(ctx context.Context, c *hypervisor.Client, a map[string]string) error {
	name := a["name"]
	if _, err := c.ReadNetwork(ctx, name); !hypervisor.IsNotFound(err) {
		return fmt.Errorf("network %s still exists after destroy (err=%s)", name, fmt.Sprint(err))
	}
	return nil
})

// CheckInstancesDestroyed asks libvirt that no instance of the state is
// left, and checks that their console logs are gone.
var CheckInstancesDestroyed = checkDestroyed("unikernel_instance", func(ctx context.Context, c *hypervisor.Client, a map[string]string) error {
	name := a["name"]
	if _, err := c.ReadDomain(ctx, name); !hypervisor.IsNotFound(err) {
		return fmt.Errorf("instance %s still exists (or cannot be read: %s)", name, fmt.Sprint(err))
	}
	if log := a["console_log"]; log != "" {
		if _, err := os.Stat(log); !os.IsNotExist(err) {
			return fmt.Errorf("console log %s of %s still exists", log, name)
		}
	}
	return nil
})

// CheckNetworkNotDefined asks libvirt that the network name was never
// created.
func CheckNetworkNotDefined(name string) resource.TestCheckFunc {
	return CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		if _, err := c.ReadNetwork(ctx, name); !hypervisor.IsNotFound(err) {
			return fmt.Errorf("network %s exists (err=%s)", name, fmt.Sprint(err))
		}
		return nil
	})
}

// checkRead reads one object from the test daemon and hands it to check.
func checkRead[T any](read func(context.Context, *hypervisor.Client) (T, error), check func(T) error) resource.TestCheckFunc {
	return CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		info, err := read(ctx, c)
		if err != nil {
			return err
		}
		return check(info)
	})
}

// CheckPool reads the pool name from libvirt and hands it to check.
func CheckPool(name string, check func(hypervisor.PoolInfo) error) resource.TestCheckFunc {
	return checkRead(func(ctx context.Context, c *hypervisor.Client) (hypervisor.PoolInfo, error) {
		return c.ReadPool(ctx, name)
	}, check)
}

// CheckNetwork reads the network name from libvirt and hands it to check.
func CheckNetwork(name string, check func(hypervisor.NetworkInfo) error) resource.TestCheckFunc {
	return checkRead(func(ctx context.Context, c *hypervisor.Client) (hypervisor.NetworkInfo, error) {
		return c.ReadNetwork(ctx, name)
	}, check)
}

// CheckDomain reads the domain name from libvirt and hands it to check.
func CheckDomain(name string, check func(hypervisor.DomainInfo) error) resource.TestCheckFunc {
	return checkRead(func(ctx context.Context, c *hypervisor.Client) (hypervisor.DomainInfo, error) {
		return c.ReadDomain(ctx, name)
	}, check)
}
