package codec

import "strings"

// Enum is a table of one enumeration: the model's spelling of each value
// beside the service's. Rows after the first for a model spelling are
// older service spellings (the 2021 preview's), read but never written.
// Both sides are matched case-insensitively, as the service matches them,
// and the service's spellings also ignoring spaces ("SystemAssigned,
// UserAssigned").
type Enum [][2]string

// Wire returns the service's spelling of a model value. A value the table
// does not know is returned as it is, with ok false: a value kept from a
// read goes back as the service wrote it, and the caller decides whether
// its write may carry a value it does not understand.
func (e Enum) Wire(model string) (wire string, ok bool) {
	if model == "" {
		return "", true
	}
	for _, r := range e {
		if strings.EqualFold(r[0], model) {
			return r[1], true
		}
	}
	return model, false
}

// Model returns the model's spelling of a value the service sent. A value
// the table does not know is returned as written, with ok false, so that
// reading a value newer than this table never fails.
func (e Enum) Model(wire string) (model string, ok bool) {
	if wire == "" {
		return "", true
	}
	squeezed := strings.ReplaceAll(wire, " ", "")
	for _, r := range e {
		if strings.EqualFold(r[1], squeezed) {
			return r[0], true
		}
	}
	return wire, false
}

// WireValues lists the service's current spellings, for messages.
func (e Enum) WireValues() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range e {
		if !seen[r[0]] {
			seen[r[0]] = true
			out = append(out, r[1])
		}
	}
	return out
}

// The enumerations of online endpoints and deployments. Every one is
// extensible in the service's specification (modelAsString).
var (
	AuthModes = Enum{{"key", "Key"}, {"aml_token", "AMLToken"}, {"aad_token", "AADToken"}}
	// ComputeTypes: AzureMLCompute, which the specification also lists,
	// has no kind in the model and reads as an unknown value.
	ComputeTypes = Enum{{"managed", "Managed"}, {"kubernetes", "Kubernetes"}, {"kubernetes", "K8S"}}
	Accesses     = Enum{{"enabled", "Enabled"}, {"disabled", "Disabled"}}
	ScaleTypes   = Enum{{"default", "Default"}, {"target_utilization", "TargetUtilization"}, {"default", "Manual"}, {"target_utilization", "Auto"}}
	RollingRates = Enum{{"minute", "Minute"}, {"hour", "Hour"}, {"day", "Day"}, {"month", "Month"}, {"year", "Year"}}
	// IdentityTypes are the ManagedServiceIdentityType of ARM's common
	// types.
	IdentityTypes = Enum{
		{"system_assigned", "SystemAssigned"},
		{"user_assigned", "UserAssigned"},
		{"system_assigned,user_assigned", "SystemAssigned,UserAssigned"},
		{"none", "None"},
	}
	CollectionModes = Enum{{"enabled", "Enabled"}, {"disabled", "Disabled"}}
)
