package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// TestInstanceAttributes_everyOneClassified walks every attribute of unikernel_instance
// and requires it to be classified as live, restart, replace or computed,
// its schema and description to say so, and restartDiffers (which follows
// from the spec) to restart for exactly the restart attributes.
func TestInstanceAttributes_everyOneClassified(t *testing.T) {
	var resp resource.SchemaResponse
	(&InstanceResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	for name := range instanceAttributeClass {
		if _, ok := resp.Schema.Attributes[name]; !ok {
			t.Errorf("instanceAttributeClass has %q, which is not an attribute", name)
		}
	}
	for name, a := range resp.Schema.Attributes {
		class, ok := instanceAttributeClass[name]
		if !ok {
			t.Errorf("attribute %q is not classified: add it to instanceAttributeClass as live, restart, replace or computed", name)
			continue
		}
		desc := a.GetMarkdownDescription()
		computedOnly := a.IsComputed() && !a.IsOptional() && !a.IsRequired()
		if (class == classComputed) != computedOnly {
			t.Errorf("%s: class %s, but computed only = %v", name, class, computedOnly)
		}
		if (class == classReplace) != requiresReplace(a) {
			t.Errorf("%s: class %s, but requires replace = %v", name, class, requiresReplace(a))
		}
		for c, note := range map[updateClass]string{classLive: liveNote, classRestart: restartNote, classReplace: replaceNote} {
			if has := strings.Contains(desc, strings.TrimSpace(note)); has != (class == c) {
				t.Errorf("%s (class %s): its description must say %q exactly when it is %s; it does: %v", name, class, note, c, has)
			}
		}
		if class != classLive && class != classRestart {
			continue
		}
		change, ok := instanceChanges[name]
		if !ok {
			t.Errorf("%s: add a change of it to instanceChanges, so that its class is checked against restartDiffers", name)
			continue
		}
		base := restartBaseModel()
		plan := restartBaseModel()
		change(plan)
		if reflect.DeepEqual(plan, base) {
			t.Errorf("%s: the change in instanceChanges changes nothing", name)
		}
		if got := restartDiffers(plan, base); got != (class == classRestart) {
			t.Errorf("%s (class %s): restartDiffers = %v", name, class, got)
		}
	}
}

// TestSpecFields_everyOneClassified requires every field of hypervisor.DomainSpec to be
// classified, so that a field added to the spec decides whether it restarts.
func TestSpecFields_everyOneClassified(t *testing.T) {
	typ := reflect.TypeFor[hypervisor.DomainSpec]()
	fields := map[string]bool{}
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		fields[name] = true
		if _, ok := specFieldClass[name]; !ok {
			t.Errorf("DomainSpec.%s is not in specFieldClass: classify it as live, restart, replace or computed", name)
		}
	}
	for name := range specFieldClass {
		if !fields[name] {
			t.Errorf("specFieldClass has %q, which DomainSpec does not", name)
		}
	}
}

// TestRestart_nestedChanges covers the attributes inside disks and
// network_interfaces, which restart as their parent does, except the
// computed ones.
func TestRestart_nestedChanges(t *testing.T) {
	for name, c := range map[string]struct {
		change  func(*instanceModel)
		restart bool
	}{
		"disk path": {func(m *instanceModel) { m.Disks[0].Path = types.StringValue("/srv/other.img") }, true},
		"disk volume": {func(m *instanceModel) {
			m.Disks[0].Path, m.Disks[0].Volume = types.StringNull(), types.StringValue("/srv/data/vol.img")
		}, true},
		"disk format":        {func(m *instanceModel) { m.Disks[0].Format = types.StringValue("qcow2") }, true},
		"disk read_only":     {func(m *instanceModel) { m.Disks[0].ReadOnly = types.BoolValue(true) }, true},
		"disk bus":           {func(m *instanceModel) { m.Disks[0].Bus = types.StringValue("sata") }, true},
		"interface network":  {func(m *instanceModel) { m.NetworkInterfaces[0].Network = types.StringValue("other") }, true},
		"interface mac":      {func(m *instanceModel) { m.NetworkInterfaces[0].MAC = types.StringValue("52:54:00:00:00:02") }, true},
		"interface model":    {func(m *instanceModel) { m.NetworkInterfaces[0].Model = types.StringValue("e1000") }, true},
		"interface address":  {func(m *instanceModel) { m.NetworkInterfaces[0].IPv4Address = types.StringValue("10.0.0.9") }, true},
		"unknown mac (new)":  {func(m *instanceModel) { m.NetworkInterfaces[0].MAC = types.StringUnknown() }, true},
		"interface leases":   {func(m *instanceModel) { m.NetworkInterfaces[0].IPv4Addresses = types.ListNull(types.StringType) }, false},
		"filesystem driver":  {func(m *instanceModel) { m.Filesystems[0].Driver = types.StringValue("virtiofs") }, true},
		"cpu feature policy": {func(m *instanceModel) { m.CPUFeatures = strMap(map[string]string{"rdrand": "disable"}) }, true},
		"nothing":            {func(*instanceModel) {}, false},
	} {
		plan := restartBaseModel()
		c.change(plan)
		if got := restartDiffers(plan, restartBaseModel()); got != c.restart {
			t.Errorf("%s: restartDiffers = %v, want %v", name, got, c.restart)
		}
	}
}

// requiresReplace reports whether a plan modifier of a forces replacement.
func requiresReplace(a schema.Attribute) bool {
	var descs []string
	switch a := a.(type) {
	case schema.StringAttribute:
		for _, m := range a.PlanModifiers {
			descs = append(descs, m.Description(context.Background()))
		}
	case schema.Int64Attribute:
		for _, m := range a.PlanModifiers {
			descs = append(descs, m.Description(context.Background()))
		}
	case schema.BoolAttribute:
		for _, m := range a.PlanModifiers {
			descs = append(descs, m.Description(context.Background()))
		}
	}
	for _, d := range descs {
		if strings.Contains(d, "destroy and recreate") {
			return true
		}
	}
	return false
}

// instanceChanges changes each live and restart attribute of a model.
var instanceChanges = map[string]func(*instanceModel){
	"description":      func(m *instanceModel) { m.Description = types.StringValue("other") },
	"running":          func(m *instanceModel) { m.Running = types.BoolValue(false) },
	"autostart":        func(m *instanceModel) { m.Autostart = types.BoolValue(true) },
	"shutdown_timeout": func(m *instanceModel) { m.ShutdownTimeout = types.StringValue("30s") },
	"wait_for":         func(m *instanceModel) { m.WaitFor = &waitForModel{Console: types.StringValue("OTHER")} },
	"timeouts": func(m *instanceModel) {
		m.Timeouts.Object = types.ObjectValueMust(timeoutAttrTypes, map[string]attr.Value{
			"create": types.StringValue("1m"), "update": types.StringNull(), "delete": types.StringNull(),
		})
	},
	"kernel": func(m *instanceModel) { m.Kernel = types.StringValue("/srv/other.elf") },
	"initrd": func(m *instanceModel) { m.Initrd = types.StringValue("/srv/other.cpio") },
	// The plan composes boot_cmdline from cmdline, args and env.
	"cmdline": func(m *instanceModel) {
		m.Cmdline, m.BootCmdline = types.StringValue("other"), types.StringValue("other")
	},
	"args": func(m *instanceModel) {
		m.Args, m.BootCmdline = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("x")}), types.StringValue("a=b x")
	},
	"env": func(m *instanceModel) {
		m.Env, m.BootCmdline = strMap(map[string]string{"K": "v"}), types.StringValue("K=v a=b")
	},
	"memory":       func(m *instanceModel) { m.Memory = types.Int64Value(128) },
	"vcpus":        func(m *instanceModel) { m.VCPUs = types.Int64Value(2) },
	"disks":        func(m *instanceModel) { m.Disks = append(m.Disks, m.Disks[0]) },
	"on_crash":     func(m *instanceModel) { m.OnCrash = types.StringValue("preserve") },
	"on_poweroff":  func(m *instanceModel) { m.OnPoweroff = types.StringValue("preserve") },
	"mode":         func(m *instanceModel) { m.Mode = types.StringValue(modeJob) },
	"cpu_mode":     func(m *instanceModel) { m.CPUMode = types.StringValue("Westmere") },
	"cpu_features": func(m *instanceModel) { m.CPUFeatures = types.MapNull(types.StringType) },
	"machine":      func(m *instanceModel) { m.Machine = types.StringValue("q35") },
	"xen_mode":     func(m *instanceModel) { m.XenMode = types.StringValue("hvm") },
	"filesystems":  func(m *instanceModel) { m.Filesystems = nil },
	"rng":          func(m *instanceModel) { m.RNG = types.BoolValue(false) },
	"acpi":         func(m *instanceModel) { m.ACPI = types.BoolValue(false) },
	"firmware":     func(m *instanceModel) { m.Firmware = types.StringValue(firmwareEFI) },
	"secure_boot":  func(m *instanceModel) { m.SecureBoot = types.BoolValue(true) },
	"network_interfaces": func(m *instanceModel) {
		m.NetworkInterfaces = append(m.NetworkInterfaces, nicModel{Network: types.StringValue("second"),
			MAC: types.StringValue("52:54:00:00:00:03"), Model: types.StringValue("virtio"), IPv4Address: types.StringNull()})
	},
}

func strMap(m map[string]string) types.Map {
	return types.MapValueMust(types.StringType, func() map[string]attr.Value {
		out := map[string]attr.Value{}
		for k, v := range m {
			out[k] = types.StringValue(v)
		}
		return out
	}())
}

// restartBaseModel is an instance with every attribute set and known.
func restartBaseModel() *instanceModel {
	return &instanceModel{
		ID: types.StringValue("8f1d2c3b-0000-4000-8000-000000000001"), Name: types.StringValue("web"),
		Hypervisor: types.StringValue("kvm"), Description: types.StringValue("a service"),
		Kernel: types.StringValue("/srv/k.elf"), Initrd: types.StringValue("/srv/i.cpio"), Cmdline: types.StringValue("a=b"),
		Memory: types.Int64Value(64), VCPUs: types.Int64Value(1),
		Disks: []diskModel{{Image: types.StringNull(), Path: types.StringValue("/srv/d.img"), BaseImage: types.StringNull(), Volume: types.StringNull(),
			Format: types.StringValue("raw"), ReadOnly: types.BoolValue(false), Bus: types.StringValue("virtio")}},
		NetworkInterfaces: []nicModel{{Network: types.StringValue("default"), MAC: types.StringValue("52:54:00:00:00:01"),
			Model: types.StringValue("virtio"), IPv4Address: types.StringValue("10.0.0.5"),
			IPv4Addresses: types.ListValueMust(types.StringType, []attr.Value{types.StringValue("10.0.0.5")})}},
		Running: types.BoolValue(true), Autostart: types.BoolValue(false),
		OnCrash: types.StringValue("destroy"), OnPoweroff: types.StringValue("destroy"),
		ShutdownTimeout: types.StringValue("0s"), WaitFor: &waitForModel{Console: types.StringValue("READY")},
		State: types.StringValue("running"), ConsoleLog: types.StringValue("/var/lib/unikernel/console/web.log"),
		BootFormat: types.StringValue("multiboot"), ImagesFingerprint: types.StringValue("fp"),
		Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutAttrTypes)},
		Mode:     types.StringValue(modeService), CPUMode: types.StringValue("maximum"),
		CPUFeatures: strMap(map[string]string{"rdrand": "require"}), Machine: types.StringValue("pc"),
		RNG: types.BoolValue(true), ACPI: types.BoolValue(true), XenMode: types.StringNull(),
		Filesystems: []fsModel{{Source: types.StringValue("/srv/root"), Tag: types.StringValue("fs0"),
			ReadOnly: types.BoolValue(false), Driver: types.StringValue("9p")}},
		Firmware: types.StringValue(firmwareBIOS), SecureBoot: types.BoolValue(false),
		Family: types.StringValue("linux"), Args: types.ListNull(types.StringType), Env: types.MapNull(types.StringType),
		BootCmdline: types.StringValue("a=b"),
	}
}
