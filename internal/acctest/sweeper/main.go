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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("sweep: done")
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := hypervisor.Open(ctx, acctest.URI(), 0)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	return acctest.Sweep(ctx, c)
}
