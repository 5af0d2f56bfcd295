package provider

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/placement"
)

// PlaceFunction is provider::unikernel::place: which host each replica of a fleet runs on.
type PlaceFunction struct{}

// NewPlaceFunction returns the place function.
func NewPlaceFunction() function.Function { return PlaceFunction{} }

// placeHostKeys are the attributes a host of the hosts argument may set.
var placeHostKeys = []string{"weight", "free_memory_mib", "drain"}

var placeMoveType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"replica": types.NumberType, "from": types.StringType, "to": types.StringType, "why": types.StringType,
}}

var placeResultType = map[string]attr.Type{
	"hosts":    types.ListType{ElemType: types.StringType},
	"per_host": types.MapType{ElemType: types.ListType{ElemType: types.NumberType}},
	"moves":    types.ListType{ElemType: placeMoveType},
}

func (PlaceFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "place"
}

func (PlaceFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Places the replicas of a fleet on hosts: spread first, then by free memory, and stable.",
		MarkdownDescription: "Returns the host of each replica. The rule:\n\n" +
			"1. A replica that already runs on a listed host that is not draining stays there (`current`).\n" +
			"2. Replicas at or above `replicas` are dropped, the highest indexes first.\n" +
			"3. Every other replica, in index order, goes to the host with the fewest replicas for its `weight` " +
			"among the hosts whose `free_memory_mib` has room for `memory_mib`; a tie goes to the host with the most " +
			"free memory left, then to the first name.\n\n" +
			"So adding a host moves nothing that runs, and removing or draining a host moves only its replicas " +
			"(listed in `moves`). The result is the same for the same arguments. Provider functions need Terraform 1.8 " +
			"or later, or OpenTofu 1.7 or later. The function makes no libvirt calls.",
		Parameters: []function.Parameter{
			function.DynamicParameter{
				Name: "hosts",
				MarkdownDescription: "A map (or object) of host name to an object with optional `weight` (a number " +
					"above 0, default 1), `free_memory_mib` (null places without a memory check; pass " +
					"`data.unikernel_host.<name>.free_memory_mib`) and `drain` (true moves the host's replicas " +
					"away and places none on it).",
			},
			function.Int64Parameter{Name: "replicas", MarkdownDescription: "How many replicas, 0 or more."},
			function.Int64Parameter{Name: "memory_mib", MarkdownDescription: "Memory of one replica in MiB."},
			function.MapParameter{
				Name:        "current",
				ElementType: types.StringType,
				MarkdownDescription: "Where replicas run now: replica index (as a string) to host name, for example " +
					"from each host's `unikernel_instances` data source; `{}` for none.",
			},
		},
		Return: function.ObjectReturn{AttributeTypes: placeResultType},
	}
}

func (PlaceFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var hostsArg types.Dynamic
	var replicas, memory int64
	var current map[string]string
	resp.Error = req.Arguments.Get(ctx, &hostsArg, &replicas, &memory, &current)
	if resp.Error != nil {
		return
	}
	hosts, ferr := placeHosts(hostsArg)
	if ferr != nil {
		resp.Error = ferr
		return
	}
	cur := map[int]string{}
	for k, h := range current {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 {
			resp.Error = function.NewArgumentFuncError(3, fmt.Sprintf("%q is not a replica index (0, 1, 2, ...)", k))
			return
		}
		cur[i] = h
	}
	res, err := placement.Place(placement.Request{Hosts: hosts, Replicas: int(replicas), MemoryMiB: memory, Current: cur})
	if err != nil {
		resp.Error = function.NewFuncError(err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, placeResult(res, hosts))
}

// placeHosts reads the hosts argument, a map or an object of objects.
func placeHosts(v types.Dynamic) ([]placement.Host, *function.FuncError) {
	bad := func(msg string, args ...any) *function.FuncError {
		return function.NewArgumentFuncError(0, fmt.Sprintf(msg, args...))
	}
	elems, ok := attrsOf(v.UnderlyingValue())
	if !ok {
		return nil, bad("must be a map of host name to an object with %s", strings.Join(placeHostKeys, ", "))
	}
	names := make([]string, 0, len(elems))
	for n := range elems {
		names = append(names, n)
	}
	sort.Strings(names)
	hosts := make([]placement.Host, 0, len(names))
	for _, name := range names {
		h := placement.Host{Name: name, FreeMemoryMiB: -1}
		attrs, ok := attrsOf(elems[name])
		if !ok {
			return nil, bad("%q must be an object with %s", name, strings.Join(placeHostKeys, ", "))
		}
		for k, a := range attrs {
			if a.IsNull() {
				continue
			}
			switch k {
			case "weight":
				n, ok := a.(types.Number)
				w, _ := numberOf(n, ok).Float64()
				if !ok || w <= 0 {
					return nil, bad("%q: weight must be a number above 0", name)
				}
				h.Weight = w
			case "free_memory_mib":
				n, ok := a.(types.Number)
				f, _ := numberOf(n, ok).Int64()
				if !ok || f < 0 {
					return nil, bad("%q: free_memory_mib must be a whole number of MiB, 0 or more, or null", name)
				}
				h.FreeMemoryMiB = f
			case "drain":
				b, ok := a.(types.Bool)
				if !ok {
					return nil, bad("%q: drain must be true or false", name)
				}
				h.Drain = b.ValueBool()
			default:
				return nil, bad("%q: unknown attribute %q; accepted: %s", name, k, strings.Join(placeHostKeys, ", "))
			}
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

func numberOf(n types.Number, ok bool) *big.Float {
	if !ok || n.ValueBigFloat() == nil {
		return new(big.Float)
	}
	return n.ValueBigFloat()
}

// attrsOf returns the elements of a map or the attributes of an object.
func attrsOf(v attr.Value) (map[string]attr.Value, bool) {
	switch x := v.(type) {
	case basetypes.MapValue:
		return x.Elements(), !x.IsNull()
	case basetypes.ObjectValue:
		return x.Attributes(), !x.IsNull()
	case basetypes.DynamicValue:
		return attrsOf(x.UnderlyingValue())
	}
	return nil, false
}

func placeResult(res placement.Result, hosts []placement.Host) types.Object {
	list := make([]attr.Value, len(res.Hosts))
	for i, h := range res.Hosts {
		list[i] = types.StringValue(h)
	}
	per := map[string]attr.Value{}
	for h, is := range res.PerHost(hosts) {
		vals := make([]attr.Value, len(is))
		for j, i := range is {
			vals[j] = types.NumberValue(big.NewFloat(float64(i)))
		}
		per[h] = types.ListValueMust(types.NumberType, vals)
	}
	moves := make([]attr.Value, len(res.Moves))
	for i, m := range res.Moves {
		moves[i] = types.ObjectValueMust(placeMoveType.AttrTypes, map[string]attr.Value{
			"replica": types.NumberValue(big.NewFloat(float64(m.Replica))),
			"from":    types.StringValue(m.From), "to": types.StringValue(m.To), "why": types.StringValue(m.Why),
		})
	}
	return types.ObjectValueMust(placeResultType, map[string]attr.Value{
		"hosts":    types.ListValueMust(types.StringType, list),
		"per_host": types.MapValueMust(types.ListType{ElemType: types.NumberType}, per),
		"moves":    types.ListValueMust(placeMoveType, moves),
	})
}
