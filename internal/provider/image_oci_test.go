package provider

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// ociProvider is the test provider with a registries entry for reg (its CA
// and credentials, or plain http); password overrides reg's when set.
func ociProvider(reg *acctest.Registry, password string, withCA bool) tfconfig.Provider {
	entry := "address = " + tfconfig.Quote(reg.Addr)
	if reg.PlainHTTP {
		entry += "\n  plain_http = true"
	}
	if reg.CAFile != "" && withCA {
		entry += "\n  ca_file = " + tfconfig.Quote(reg.CAFile)
	}
	if reg.Username != "" {
		if password == "" {
			password = reg.Password
		}
		entry += "\n  username = " + tfconfig.Quote(reg.Username) + "\n  password = " + tfconfig.Quote(password)
	}
	p := testProvider()
	p.Extra = "registries = [{\n  " + entry + "\n}]"
	return p
}

// ociConfig is provider, the pool named pool in dir, and blocks.
func ociConfig(provider tfconfig.Provider, pool, dir string, blocks ...tfconfig.Block) string {
	return tfconfig.Config(append([]tfconfig.Block{provider, testPool(pool, dir)}, blocks...)...)
}

// ociImage is an image pulled from ref; extra goes inside the oci block.
func ociImage(label, name, ref, extra string) tfconfig.Image {
	oci := "oci = {\n  reference = " + tfconfig.Quote(ref)
	if extra != "" {
		oci += "\n  " + extra
	}
	return tfconfig.Image{Label: label, Name: name, Extra: oci + "\n}"}
}

// ociInstance boots the kernel of img with the package's command line,
// ready once its console matches console.
func ociInstance(label, name string, img tfconfig.Image, console string) tfconfig.Instance {
	return tfconfig.Instance{
		Label: label, Name: name, KernelX: img.ID(), Memory: 16,
		WaitFor: &tfconfig.WaitFor{Console: console},
		Extra:   "cmdline = unikernel_image." + img.Label + ".oci_cmdline",
	}
}

// ociJob is ociInstance as a job of memory MiB that ends once it printed console.
func ociJob(label, name string, img tfconfig.Image, memory int, console string) tfconfig.Instance {
	vm := ociInstance(label, name, img, console)
	vm.Memory, vm.Mode, vm.ShutdownTimeout, vm.WaitFor.Timeout = memory, "job", "0s", "120s"
	return vm
}

// uniqueCopy copies file into dir with a random tail, so that its blobs
// are new to every cache (a multiboot or ELF kernel still boots with it).
func uniqueCopy(t *testing.T, file, dir string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 32)
	_, _ = rand.Read(tail)
	out := filepath.Join(dir, filepath.Base(file))
	if err := os.WriteFile(out, append(b, tail...), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkNoVolume checks through libvirt that pool holds no volume name.
func checkNoVolume(t *testing.T, pool, name string) {
	t.Helper()
	c := acctest.MustClient(t)
	if _, err := c.ReadVolume(context.Background(), pool, name); !hypervisor.IsNotFound(err) {
		t.Fatalf("volume %s/%s after a failed pull: %v (want none)", pool, name, err)
	}
}

// Real toolchain packages from a real registry (TLS with the harness's CA,
// htpasswd auth): Unikraft's helloworld as kraftkit packs it, the test
// unikernel in kraftkit's older raw-blob form, Solo5's test_quiet as a urunc
// image (bima's base64 annotations), and a Nanos boot disk as a plain oras
// artifact. Each boots from what the provider pulled; the package's command
// line reaches the guest; an unchanged tag plans nothing.
func TestAccImageOCI_layouts(t *testing.T) {
	g := testAccInstancePreCheck(t)
	tp := acctest.ThirdPartyGuests(t)
	reg := acctest.StartRegistry(t, acctest.RegistryOptions{TLS: true, Auth: true})
	reg.PushKraftkit(t, reg.Ref("unikraft/helloworld:0.17"), acctest.KraftkitPackage{
		Kernel: tp.UnikraftHello, Cmd: []string{"one", "two"}, Plat: "qemu", Arch: "x86_64", Version: "0.17.0"})
	reg.PushKraftkit(t, reg.Ref("unikraft/legacy:1"), acctest.KraftkitPackage{
		Kernel: g.MultibootKernel, Cmd: []string{"from-kraftkit-legacy"}, Plat: "qemu", Arch: "x86_64", Legacy: true})
	reg.PushUrunc(t, reg.Ref("urunc/solo5-quiet:1"), acctest.UruncPackage{
		Binary: tp.Solo5Quiet, BinaryPath: "/unikernel/test_quiet.virtio", Type: "solo5", Hypervisor: "qemu",
		Cmdline: "--solo5:quiet", Base64: true})
	reg.PushArtifact(t, reg.Ref("nanos/hello:1"), acctest.ArtifactFile{Path: tp.NanosHello,
		MediaType: "application/vnd.nanovms.disk.qcow2"})

	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	names := map[string]string{}
	for _, k := range []string{"uk", "legacy", "solo5", "nanos"} {
		names[k] = acctest.RandName("oci-" + k)
	}
	uk := ociImage("uk", "helloworld.elf", reg.Ref("unikraft/helloworld:0.17"), "")
	legacy := ociImage("legacy", "legacy.elf", reg.Ref("unikraft/legacy:1"), "")
	solo5 := ociImage("solo5", "test_quiet.virtio", reg.Ref("urunc/solo5-quiet:1"), "")
	nanos := ociImage("nanos", "hello.qcow2", reg.Ref("nanos/hello:1"), "")
	// The Nanos disk boots as a disk, with no kernel and no command line.
	nanosVM := tfconfig.Instance{Label: "nanos", Name: names["nanos"], Memory: 256, Mode: "job", ShutdownTimeout: "0s",
		WaitFor: &tfconfig.WaitFor{Console: "hello: exiting with status 0", Timeout: "120s"},
		Extra:   "disks = [{ image = " + string(nanos.ID()) + " }]"}
	config := ociConfig(ociProvider(reg, "", true), pool, dir, uk, legacy, solo5, nanos,
		ociJob("uk", names["uk"], uk, 32, `Arguments: .*"one" "two"`),
		ociInstance("legacy", names["legacy"], legacy, "UNIKERNEL-READY cmdline=from-kraftkit-legacy"),
		ociJob("solo5", names["solo5"], solo5, 32, "^SUCCESS"),
		nanosVM)
	digest := func(p string) string { d, _ := fileDigest(t, p); return d }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: joinChecks(
					expectAttrs(uk.Addr(), map[string]knownvalue.Check{
						"oci_layout": str("kraftkit"), "oci_selected": str("kernel (/unikraft/bin/kernel)"),
						"oci_cmdline": str("one two"), "oci_platform": str("qemu/x86_64"), "oci_unikernel_type": str("unikraft"),
						"oci_version": str("0.17.0"), "sha256": str(digest(tp.UnikraftHello)), "format": str("multiboot"),
					}),
					expectAttrs(legacy.Addr(), map[string]knownvalue.Check{
						"oci_selected": str("kernel (layer application/vnd.unikraft.image.v1)"), "sha256": str(digest(g.MultibootKernel)),
					}),
					expectAttrs(solo5.Addr(), map[string]knownvalue.Check{
						"oci_layout": str("urunc"), "oci_unikernel_type": str("solo5"), "oci_hypervisor": str("qemu"),
						"oci_cmdline": str("--solo5:quiet"), "sha256": str(digest(tp.Solo5Quiet)),
					}),
					expectAttrs(nanos.Addr(), map[string]knownvalue.Check{
						"oci_layout": str("artifact"), "oci_selected": str("kernel (the only file, hello.qcow2)"),
						"format": str("qcow2"), "sha256": str(digest(tp.NanosHello)),
					}),
					[]statecheck.StateCheck{
						acctest.Expect("unikernel_instance.uk", "state", str("shutoff")),
						acctest.Expect("unikernel_instance.solo5", "state", str("shutoff")),
						acctest.Expect("unikernel_instance.nanos", "state", str("shutoff")),
						acctest.Expect("unikernel_instance.legacy", "state", str("running")),
					},
				),
				Check: resource.ComposeAggregateTestCheckFunc(
					testAccCheckVolumeHolds(pool, "helloworld.elf", tp.UnikraftHello),
					testAccCheckVolumeHolds(pool, "hello.qcow2", tp.NanosHello),
					// The urunc image's command line silenced Solo5's banner.
					checkConsoleCount(names["solo5"], `Solo5: Bindings version`, 0),
					checkConsoleCount(names["solo5"], `^SUCCESS\r?$`, 1),
					checkConsoleCount(names["nanos"], `argv\[1\]=first-arg`, 1),
				),
			},
			{
				// Every tag is resolved again, once, and names the same digest.
				Config:   config,
				PlanOnly: true,
			},
		},
	})
}

// A tag moved to a new build: the plan shows the image replaced, with the
// old and the new digest, and the apply boots the new build. A reference by
// digest then plans and refreshes with the registry stopped.
func TestAccImageOCI_tagMoves(t *testing.T) {
	g := testAccInstancePreCheck(t)
	reg := acctest.StartRegistry(t, acctest.RegistryOptions{})
	work := t.TempDir()
	v1 := uniqueCopy(t, g.MultibootKernel, work)
	v2dir := filepath.Join(work, "v2")
	if err := os.MkdirAll(v2dir, 0o755); err != nil {
		t.Fatal(err)
	}
	v2 := uniqueCopy(t, g.MultibootKernel, v2dir)
	repo := reg.Ref("team/app")
	d1 := reg.PushKraftkit(t, repo+":build-1", acctest.KraftkitPackage{Kernel: v1, Cmd: []string{"build-one"}, Plat: "qemu", Arch: "x86_64"})
	d2 := reg.PushKraftkit(t, repo+":build-2", acctest.KraftkitPackage{Kernel: v2, Cmd: []string{"build-two"}, Plat: "qemu", Arch: "x86_64"})
	reg.Tag(t, repo+":build-1", "stable")

	pool, dir, name := acctest.RandName("pool"), acctest.PoolDir(t), acctest.RandName("oci-tag")
	config := func(reference, console string) string {
		app := ociImage("app", "app.elf", reference, "")
		return ociConfig(ociProvider(reg, "", true), pool, dir, app, ociInstance("app", name, app, console))
	}
	pinned := config(repo+"@"+d2, "UNIKERNEL-READY cmdline=build-two")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config(repo+":stable", "UNIKERNEL-READY cmdline=build-one"),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect("unikernel_image.app", "oci_digest", str(d1)),
					acctest.Expect("unikernel_image.app", "oci_manifest_digest", str(d1)),
				},
				Check: testAccCheckVolumeHolds(pool, "app.elf", v1),
			},
			{
				// The tag now names the second build.
				PreConfig: func() { reg.Tag(t, repo+":build-2", "stable") },
				Config:    config(repo+":stable", "UNIKERNEL-READY cmdline=build-two"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_image.app", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue("unikernel_image.app", tfjsonpath.New("oci_digest"), str(d2)),
					plancheck.ExpectUnknownValue("unikernel_image.app", tfjsonpath.New("sha256")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect("unikernel_image.app", "oci_digest", str(d2)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					testAccCheckVolumeHolds(pool, "app.elf", v2),
					checkConsoleCount(name, `UNIKERNEL-READY cmdline=build-two`, 1),
				),
			},
			{
				// Pinned by digest (a new reference, so the image is pulled again).
				Config: pinned,
				Check:  testAccCheckVolumeHolds(pool, "app.elf", v2),
			},
			{
				// With the registry stopped, a refresh and a plan of the pinned
				// reference need nothing from it.
				PreConfig: func() { reg.Stop(t) },
				Config:    pinned,
				PlanOnly:  true,
			},
			{
				// A tag cannot be resolved with the registry down: the plan says
				// which reference and that the registry did not answer.
				Config:      config(repo+":stable", "UNIKERNEL-READY cmdline=build-two"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)oci.reference: ` + regexp.QuoteMeta(repo+":stable") + `.*did\s+not\s+answer`),
			},
		},
	})
}

// Pulls that go wrong fail with an error that names the reference and says
// what was found, leave nothing in the pool, and the next apply converges:
// a wrong password, an unknown CA, a missing tag, a package without the part
// asked for, bytes changed on the way (a tampering proxy), and a registry
// that goes away in the middle of a blob.
func TestAccImageOCI_failures(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	secure := acctest.StartRegistry(t, acctest.RegistryOptions{TLS: true, Auth: true})
	plain := acctest.StartRegistry(t, acctest.RegistryOptions{})
	work := t.TempDir()
	kernel := uniqueCopy(t, guests.MultibootKernel, work)
	secure.PushKraftkit(t, secure.Ref("team/app:1"), acctest.KraftkitPackage{Kernel: kernel, Plat: "qemu", Arch: "x86_64"})
	notes := filepath.Join(work, "NOTES.txt")
	if err := os.WriteFile(notes, []byte("release notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain.PushArtifact(t, plain.Ref("team/docs:1"), acctest.ArtifactFile{Path: notes, MediaType: "text/plain"},
		acctest.ArtifactFile{Path: kernel, MediaType: "application/octet-stream"})
	tampered := filepath.Join(work, "tampered")
	cut := filepath.Join(work, "cut")
	for _, d := range []string{tampered, cut} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plain.PushKraftkit(t, plain.Ref("team/tampered:1"), acctest.KraftkitPackage{
		Kernel: uniqueCopy(t, guests.MultibootKernel, tampered), Plat: "qemu", Arch: "x86_64", Legacy: true})
	plain.PushKraftkit(t, plain.Ref("team/cut:1"), acctest.KraftkitPackage{
		Kernel: uniqueCopy(t, guests.MultibootKernel, cut), Plat: "qemu", Arch: "x86_64", Legacy: true})
	flip := acctest.StartProxy(t, plain, acctest.ProxyOptions{Flip: true})
	short := acctest.StartProxy(t, plain, acctest.ProxyOptions{CutAfter: 4096})

	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	image := func(provider tfconfig.Provider, ref, extra string) string {
		return ociConfig(provider, pool, dir, ociImage("app", "app.elf", ref, extra))
	}
	viaProxy := func(addr string) tfconfig.Provider {
		return ociProvider(&acctest.Registry{Addr: addr, PlainHTTP: true}, "", false)
	}
	nothing := func() { checkNoVolume(t, pool, "app.elf") }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: image(ociProvider(secure, "not-the-password", true), secure.Ref("team/app:1"), ""),
				ExpectError: regexp.MustCompile(`(?s)oci.reference: ` + regexp.QuoteMeta(secure.Ref("team/app:1")) +
					`.*(401|unauthorized|UNAUTHORIZED).*refused\s+the\s+credentials`),
			},
			{
				PreConfig:   nothing,
				Config:      image(ociProvider(secure, "", false), secure.Ref("team/app:1"), ""),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(secure.Ref("team/app:1")) + `.*certificate.*ca_file`),
			},
			{
				PreConfig:   nothing,
				Config:      image(ociProvider(secure, "", true), secure.Ref("team/app:no-such-tag"), ""),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(secure.Ref("team/app:no-such-tag")) + `: not found.*oras\s+manifest\s+fetch`),
			},
			{
				PreConfig: nothing,
				Config:    image(ociProvider(plain, "", true), plain.Ref("team/docs:1"), ""),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(plain.Ref("team/docs:1")) +
					`.*the\s+artifact\s+holds\s+2\s+files.*NOTES.txt\s+\(text/plain\).*set\s+oci.file`),
			},
			{
				PreConfig: nothing,
				Config:    image(viaProxy(flip), flip+"/team/tampered:1", ""),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(flip+"/team/tampered:1") +
					`.*do\s+not\s+match\s+their\s+digest:\s+expected\s+sha256:[0-9a-f]{64},\s+got\s+sha256:[0-9a-f]{64}.*Nothing\s+was\s+created`),
			},
			{
				PreConfig:   nothing,
				Config:      image(viaProxy(short), short+"/team/cut:1", ""),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(short+"/team/cut:1") + `.*broke\s+off\s+after\s+\d+\s+of\s+\d+\s+bytes.*stopped\s+answering.*Nothing\s+was\s+created`),
			},
			{
				// The same package, straight from the registry: the apply converges.
				PreConfig:         nothing,
				Config:            image(ociProvider(plain, "", true), plain.Ref("team/cut:1"), ""),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect("unikernel_image.app", "oci_layout", str("kraftkit"))},
			},
			{
				// And with the right credentials and CA, the first package too.
				Config: image(ociProvider(secure, "", true), secure.Ref("team/app:1"), ""),
				Check:  testAccCheckVolumeHolds(pool, "app.elf", kernel),
			},
		},
	})
}

// A two-platform index: the libvirt host's architecture picks the manifest,
// and oci.platform takes the other one.
func TestAccImageOCI_index(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	tp := acctest.ThirdPartyGuests(t)
	reg := acctest.StartRegistry(t, acctest.RegistryOptions{})
	amd := reg.PushKraftkit(t, reg.Ref("team/multi:amd64"), acctest.KraftkitPackage{Kernel: guests.MultibootKernel, Plat: "qemu", Arch: "x86_64"})
	arm := reg.PushKraftkit(t, reg.Ref("team/multi:arm64"), acctest.KraftkitPackage{Kernel: tp.Solo5Quiet, Plat: "qemu", Arch: "arm64"})
	idx := reg.PushIndex(t, reg.Ref("team/multi:1"), amd, arm)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := ociConfig(ociProvider(reg, "", true), pool, dir,
		ociImage("host", "host.elf", reg.Ref("team/multi:1"), ""),
		ociImage("arm", "arm.elf", reg.Ref("team/multi:1"), `platform = "arm64"`))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect("unikernel_image.host", "oci_digest", str(idx)),
				acctest.Expect("unikernel_image.host", "oci_manifest_digest", str(amd)),
				acctest.Expect("unikernel_image.host", "oci_platform", str("qemu/x86_64")),
				acctest.Expect("unikernel_image.arm", "oci_manifest_digest", str(arm)),
				acctest.Expect("unikernel_image.arm", "oci_platform", str("qemu/arm64")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				testAccCheckVolumeHolds(pool, "host.elf", guests.MultibootKernel),
				testAccCheckVolumeHolds(pool, "arm.elf", tp.Solo5Quiet),
			),
		}},
	})
}

// Over qemu+ssh:// the provider pulls on the machine that runs Terraform and
// streams the file into the remote pool; an image imported from that pool
// then records its oci source in place (no replacement) once the package's
// file proves to be the volume's bytes, and a package with other bytes is
// refused without a change.
func TestAccImageOCI_remoteAndImport(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	uri := sshURI(t)
	reg := acctest.StartRegistry(t, acctest.RegistryOptions{TLS: true})
	d := reg.PushKraftkit(t, reg.Ref("team/app:1"), acctest.KraftkitPackage{Kernel: guests.MultibootKernel, Plat: "qemu", Arch: "x86_64"})
	reg.PushKraftkit(t, reg.Ref("team/other:1"), acctest.KraftkitPackage{Kernel: guests.BootDiskRaw, Plat: "qemu", Arch: "x86_64"})
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	provider := ociProvider(reg, "", true)
	provider.URI = uri
	pinned := reg.Ref("team/app") + "@" + d
	config := ociConfig(provider, pool, dir, ociImage("app", "app.elf", pinned, ""))
	plainImage := ociConfig(provider, pool, dir, ociImage("app", "app.elf", reg.Ref("team/other:1"), ""))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect("unikernel_image.app", "oci_digest", str(d))},
				Check:             testAccCheckVolumeHolds(pool, "app.elf", guests.MultibootKernel),
			},
			{
				// Forget the image (the volume stays)...
				Config: ociConfig(provider, pool, dir, removedBlock{From: "unikernel_image.app"}),
				Check:  testAccCheckVolumeHolds(pool, "app.elf", guests.MultibootKernel),
			},
			{
				// ...then import it by pool and name.
				Config:             config,
				ResourceName:       "unikernel_image.app",
				ImportState:        true,
				ImportStateId:      pool + "/app.elf",
				ImportStatePersist: true,
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					for _, is := range s {
						if is.Attributes["format"] == "" {
							continue // the pool
						}
						if is.Attributes["oci_digest"] != "" || is.Attributes["sha256"] == "" {
							return fmt.Errorf("imported image: %v", is.Attributes)
						}
						return nil
					}
					return fmt.Errorf("no image among the imported states: %v", s)
				},
			},
			{
				// A package with other bytes is not recorded.
				Config:      plainImage,
				ExpectError: regexp.MustCompile(`(?s)is\s+not\s+the\s+volume's\s+bytes.*Nothing\s+was\s+changed`),
			},
			{
				// The package that holds the volume's bytes is recorded in place.
				Config:            config,
				ConfigPlanChecks:  planAction("unikernel_image.app", plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect("unikernel_image.app", "oci_digest", str(d))},
			},
			{Config: config, PlanOnly: true},
		},
	})
}
