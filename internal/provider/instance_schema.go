package provider

import (
	"context"
	"maps"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var (
	instanceNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	macRe          = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)
	ipv4Re         = regexp.MustCompile(`^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$`)
	lifecycleOpts  = []string{"destroy", "restart", "preserve"}
)

// Default instance settings.
const (
	defaultMemoryMiB   = 64
	defaultVCPUs       = 1
	maxCmdlineBytes    = 4096
	defaultWaitTimeout = "2m"
)

// Schema is the instance resource's schema, put together from one builder per
// concern: this file's, and the platform, family and firmware attributes of
// their own files.
func (r *InstanceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"disks":              disksAttribute(),
		"network_interfaces": networkInterfacesAttribute(),
		"wait_for":           waitForAttribute(),
		"timeouts":           timeoutsAttribute(ctx),
	}
	for _, group := range []map[string]schema.Attribute{
		guestAttributes(), runAttributes(), readBackAttributes(),
		platformAttributes(), familyAttributes(), firmwareAttributes(),
	} {
		maps.Copy(attrs, group)
	}
	resp.Schema = schema.Schema{MarkdownDescription: instanceDescription(), Attributes: attrs}
}

// instanceDescription is the resource's own description: what it is, how
// updates, import and drift behave.
func instanceDescription() string {
	return "A unikernel or microVM guest: a libvirt domain that boots a kernel directly (multiboot, " +
		"multiboot2, PVH or Linux bzImage) or from a disk image (Nanos, OSv). Creation returns once the readiness " +
		"gate (`wait_for`) holds.\n\n" +
		"Lean by default: no USB controller, memory balloon, graphics or video, and `on_reboot` is `destroy` so a " +
		"guest that panics stops instead of looping. The serial console is always logged on the host (mode 0600) in the " +
		"provider's console pool, and can be read with the `unikernel_instance_console` data source.\n\n" +
		"**Update behaviour.** " + attributesOfClass(classLive) + " change live. " + attributesOfClass(classRestart) +
		" change in place with a restart of a running instance (graceful shutdown, then destroy after " +
		"`shutdown_timeout`, then start and the readiness gate; a job runs again). " + attributesOfClass(classReplace) +
		" force a new instance.\n\n" +
		"**Import.** An imported instance (one made by another tool, such as the libvirt provider, virt-install or " +
		"virsh, or by this provider under another state) is adopted as it is: an attribute with a default that the " +
		"configuration leaves unset keeps what libvirt holds (memory, vCPUs, lifecycle actions, ACPI, CPU mode, " +
		"machine type, RNG, firmware, disk buses and so on) instead of taking the default, so the first plan changes " +
		"nothing the configuration does not ask for. A disk that is a qcow2 overlay on a volume of a storage pool " +
		"reads back as `base_image` (the backing volume), with its overlay kept (`disks[].overlay`). The serial " +
		"console stays as the domain has it (`console_log`).\n\n" +
		"**Drift.** Read compares the persistent libvirt definition and the run state with Terraform state, so memory, " +
		"vCPUs, command line, kernel, interfaces, lifecycle actions, autostart and the run state changed outside Terraform " +
		"show in the next plan."
}

// guestAttributes name the guest and say what it boots and how big it is.
func guestAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "The libvirt domain UUID.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "Domain name: 1 to 64 characters of `A-Z a-z 0-9 _ . -`." + replaceNote,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators: []validator.String{stringvalidator.RegexMatches(instanceNameRe,
				"must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.' and '-'"), validators.NotDotName()},
		},
		"hypervisor": schema.StringAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: "`kvm`, `qemu` (software emulation) or `xen`. Defaults to the provider's `hypervisor` " +
				"setting." + replaceNote,
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
			Validators:    []validator.String{stringvalidator.OneOf("kvm", "qemu", "xen")},
		},
		"description": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "Free text stored in the libvirt definition." + liveNote,
		},
		"kernel": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Kernel to boot directly: a `unikernel_image` id or an absolute host path. Multiboot, " +
				"multiboot2, PVH and Linux bzImage kernels boot. Without it, the first entry of `disks` boots." + restartNote,
			Validators: []validator.String{validators.AbsolutePath()},
		},
		"initrd": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "Initial ramdisk for `kernel`: a `unikernel_image` id or an absolute host path." + restartNote,
			Validators:          []validator.String{validators.AbsolutePath(), stringvalidator.AlsoRequires(path.MatchRoot("kernel"))},
		},
		"cmdline": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Kernel command line, at most 4096 bytes, without newlines or NUL. How it is read " +
				"depends on the unikernel family (see the examples)." + restartNote,
			Validators: []validator.String{
				stringvalidator.LengthAtMost(maxCmdlineBytes), validators.NoControlChars(),
				stringvalidator.AlsoRequires(path.MatchRoot("kernel")),
			},
		},
		"memory": schema.Int64Attribute{
			Optional: true, Computed: true, Default: int64default.StaticInt64(defaultMemoryMiB),
			PlanModifiers:       []planmodifier.Int64{keepAdoptedInt64()},
			MarkdownDescription: "Memory in MiB, at least 1 and at most what the host has. Defaults to 64." + restartNote,
			Validators:          []validator.Int64{int64validator.AtLeast(1), int64validator.AtMost(4 * 1024 * 1024)},
		},
		"vcpus": schema.Int64Attribute{
			Optional: true, Computed: true, Default: int64default.StaticInt64(defaultVCPUs),
			PlanModifiers:       []planmodifier.Int64{keepAdoptedInt64()},
			MarkdownDescription: "Number of virtual CPUs, 1 to 255. Defaults to 1." + restartNote,
			Validators:          []validator.Int64{int64validator.Between(1, 255)},
		},
	}
}

// disksAttribute is the list of block devices.
func disksAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Optional: true,
		MarkdownDescription: "Block devices, in order. When `kernel` is not set the first disk boots (qcow2, raw or " +
			"iso images, as Nanos and OSv ship them)." + restartNote,
		Validators: []validator.List{listvalidator.SizeAtMost(26)},
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"image": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "A `unikernel_image` id. Exactly one of `image`, `path`, `base_image` and `volume` is set.",
				Validators: []validator.String{validators.AbsolutePath(),
					stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("path"),
						path.MatchRelative().AtParent().AtName("base_image"),
						path.MatchRelative().AtParent().AtName("volume"))},
			},
			"base_image": baseImageAttribute(),
			"overlay":    overlayAttribute(),
			"volume":     volumeDiskAttribute(),
			"path": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "An absolute host path of a disk image.",
				Validators:          []validator.String{validators.AbsolutePath()},
			},
			"format": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "`raw`, `qcow2` or `iso`. Detected from the image header when not set.",
				Validators:          []validator.String{stringvalidator.OneOf("raw", "qcow2", "iso")},
			},
			"read_only": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				PlanModifiers:       []planmodifier.Bool{keepAdoptedBool()},
				MarkdownDescription: "Attach read-only. ISO images are always read-only.",
			},
			"bus": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("virtio"),
				PlanModifiers:       []planmodifier.String{keepAdoptedString()},
				MarkdownDescription: "`virtio` (default), `sata`, `scsi`, `ide` or `xen`.",
				Validators:          []validator.String{stringvalidator.OneOf("virtio", "sata", "scsi", "ide", "xen")},
			},
		}},
	}
}

// networkInterfacesAttribute is the list of network interfaces.
func networkInterfacesAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Optional:            true,
		MarkdownDescription: "Network interfaces, in order." + restartNote,
		Validators:          []validator.List{listvalidator.SizeAtMost(16), validators.UniqueNestedString("mac")},
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"network": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the libvirt network (for example `unikernel_network.x.name`).",
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
			},
			"mac": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "MAC address. Chosen by libvirt when not set, then kept stable: an interface without " +
					"a configured MAC keeps the MAC it had on the same network, even when the list is reordered.",
				Validators: []validator.String{stringvalidator.RegexMatches(macRe, "must be a MAC address in lowercase, like 52:54:00:12:34:56")},
			},
			"ipv4_address": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Reserve this IPv4 address for the interface's MAC on the network (a live DHCP " +
					"reservation, released on destroy). The address must be inside the network's CIDR.",
				Validators: []validator.String{stringvalidator.RegexMatches(ipv4Re, "must be an IPv4 address like 10.0.0.5")},
			},
			"model": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "NIC model: `virtio` (default with kvm and qemu), `e1000`, `rtl8139` or `netfront` (default with xen).",
				Validators:          []validator.String{stringvalidator.OneOf("virtio", "e1000", "rtl8139", "netfront")},
			},
			"ipv4_addresses": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "IPv4 addresses the guest holds: its DHCP leases, matched by MAC, and for a guest with a " +
					"static address its reserved `ipv4_address` once found (libvirt's ARP source; on a local daemon the neighbour " +
					"table after a probe; over a remote URI a TCP connection on `wait_for.tcp_port`). See the Addresses section.",
			},
		}},
	}
}

// runAttributes say whether and how the instance runs, stops and powers off.
func runAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"running": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			PlanModifiers:       []planmodifier.Bool{keepAdoptedRunning()},
			MarkdownDescription: "Whether the instance runs: changing it starts or stops the instance. Defaults to true." + adoptedRunNote + liveNote,
		},
		"autostart": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			PlanModifiers:       []planmodifier.Bool{keepAdoptedAutostart()},
			MarkdownDescription: "Whether libvirt starts the instance when the host boots. Defaults to false." + adoptedRunNote + liveNote,
		},
		"on_crash": schema.StringAttribute{
			Optional: true, Computed: true, Default: stringdefault.StaticString("destroy"),
			PlanModifiers:       []planmodifier.String{keepAdoptedString()},
			MarkdownDescription: "What happens when the guest crashes: `destroy` (default), `restart` or `preserve`." + restartNote,
			Validators:          []validator.String{stringvalidator.OneOf(lifecycleOpts...)},
		},
		"on_poweroff": schema.StringAttribute{
			Optional: true, Computed: true, Default: stringdefault.StaticString("destroy"),
			PlanModifiers: []planmodifier.String{keepAdoptedString()},
			MarkdownDescription: "What happens when the guest powers off: `destroy` (default), `restart` or `preserve`. " +
				"Together with `on_crash` this is the restart policy." + restartNote,
			Validators: []validator.String{stringvalidator.OneOf(lifecycleOpts...)},
		},
		"shutdown_timeout": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "How long a graceful (ACPI) shutdown may take before the instance is destroyed, as a Go " +
				"duration; `0s` destroys at once. When unset it follows the boot format: `10s` for guests that handle " +
				"the ACPI power button (a Linux kernel, boot format `linux`, or a disk-booted system), and `0s` for `multiboot`, " +
				"`multiboot2` and `pvh` unikernels, which ignore it, so destroying them never waits for nothing. A kernel " +
				"whose format is `unknown` (a host path on a remote hypervisor, which is not inspected) gets `10s`. An imported " +
				"domain without ACPI gets `0s`, since it has no power button to press." + liveNote,
			Validators: []validator.String{validators.Duration()},
		},
		"acpi": schema.BoolAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "Whether the guest gets ACPI (kvm and qemu; Xen guests follow `xen_mode`). Defaults to `true`. " +
				"ACPI is how a guest is asked to shut down (`shutdown_timeout`) and how it powers itself off (`mode = \"job\"`, " +
				"`on_poweroff`, or a service that exits and then shows as stopped). It costs about 2.4 MiB of host memory per " +
				"guest. `false` suits dense fleets of `multiboot`, `multiboot2` or `pvh` services with `shutdown_timeout = " +
				"\"0s\"`: such a service cannot power itself off, so when it exits it halts and stays `running`. `false` is " +
				"refused where ACPI is needed (a job, a graceful shutdown, an `on_poweroff` policy other than `destroy`)." + restartNote,
		},
	}
}

// waitForAttribute is the readiness gate.
func waitForAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "Readiness gate. Create, start and every restart return only once each condition set " +
			"here holds. On timeout the error names the condition that did not hold and shows the last console lines." + liveNote,
		Attributes: map[string]schema.Attribute{
			"console": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A regular expression (Go syntax) that a console line printed during this boot must match. " +
					"Lines are matched, and shown in errors, with NUL and the other non-printing control bytes removed " +
					"(tabs kept) and CRLF or a lone CR ending a line, so `^` anchors at the first printed character " +
					"even when a guest prints NULs first (Unikraft's lwIP does). The console log keeps every byte.",
				Validators: []validator.String{validators.Regexp()},
			},
			"ipv4": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Wait until every interface has an IPv4 address in `ipv4_addresses`.",
			},
			"tcp_port": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Wait until this TCP port accepts connections on the first interface's IPv4 " +
					"address (implies `ipv4`). The provider must be able to reach the guest network.",
				Validators: []validator.Int64{int64validator.Between(1, 65535)},
			},
			"timeout": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "How long to wait, as a Go duration greater than zero. Defaults to `2m`.",
				Validators:          []validator.String{validators.PositiveDuration()},
			},
		},
	}
}

// readBackAttributes are computed from what libvirt holds.
func readBackAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"state": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "Run state as libvirt reports it: `running`, `shutoff`, `crashed`, `paused` or `other`.",
		},
		"console_log": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "Host path of the persistent serial console log (mode 0600, kept across restarts).",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"boot_format": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "How the instance boots: the kernel's detected format (`multiboot`, `multiboot2`, `pvh`, " +
				"`linux`), or `disk`. `unknown` when the kernel is a host path outside any storage pool.",
		},
		"images_fingerprint": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "Identifies the builds of the images the instance boots (kernel, initrd and disks that are " +
				"storage volumes), from libvirt's volume metadata. When an image is rebuilt under the same path, this changes " +
				"in the plan and the instance restarts in place to boot the new build. A disk attached writable (not through " +
				"`base_image`) counts by its volume key and size only, since the guest's own writes change its modification " +
				"time. Volumes (`disks[].volume`) do not count: they hold data, not builds, and growing one changes nothing here.",
		},
	}
}

// timeoutsAttribute is the timeouts block, with a description of its own.
func timeoutsAttribute(ctx context.Context) schema.Attribute {
	a := timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}).(schema.SingleNestedAttribute)
	a.MarkdownDescription = "How long create, update and delete may take before they fail, as Go durations such as `10m`. Defaults to `10m` " +
		"for create and update and `5m` for delete." + liveNote
	return a
}

// attributesOfClass lists the top-level attributes of a class for the
// resource's description, sorted: "`a`, `b` and `c`".
func attributesOfClass(c updateClass) string {
	var names []string
	for name, class := range instanceAttributeClass {
		if class == c {
			names = append(names, "`"+name+"`")
		}
	}
	sort.Strings(names)
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
