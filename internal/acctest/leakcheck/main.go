// Command leakcheck lists what is left on the host of the objects named with
// the given names (domains, networks, pools, volumes, console logs, qemu
// processes), and exits with status 1 when anything is. Scripts that drive
// the Terraform CLI (the stress run) use it as acceptance tests use the leak
// checker: `go run ./internal/acctest/leakcheck NAME...`.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: leakcheck NAME...")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1:]))
}

func run(names []string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	leaks, err := acctest.FindLeaks(ctx, names, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leakcheck:", err)
		return 1
	}
	for _, l := range leaks {
		fmt.Println("left behind:", l)
	}
	if len(leaks) > 0 {
		return 1
	}
	fmt.Println("leakcheck: nothing left")
	return 0
}
