# A run-to-completion unikernel (a Solo5 test, Unikraft's helloworld, a batch
# job): apply boots it, waits until it printed its line and powered itself
# off, and succeeds. The next plan is empty; a new build or command line runs
# it again.
resource "unikernel_image" "migrate" {
  name   = "migrate.elf"
  pool   = unikernel_pool.images.name
  source = "https://artifacts.example.com/migrate/v42/migrate.elf"            # placeholder
  sha256 = "0000000000000000000000000000000000000000000000000000000000000000" # placeholder
}

resource "unikernel_instance" "migrate" {
  name    = "db-migrate"
  kernel  = unikernel_image.migrate.id
  cmdline = "--target=v42"
  memory  = 32
  mode    = "job"

  wait_for = {
    console = "^migration complete"
    timeout = "10m"
  }
}
