// Command sweeper removes libvirt objects left behind by interrupted
// acceptance tests (names starting with tf-acc-): `make sweep`.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := hypervisor.Open(ctx, acctest.URI(), 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer func() { _ = c.Close() }()
	if err := acctest.Sweep(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("sweep: done")
}
