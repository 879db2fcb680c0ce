package plan

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// TextOptions control [WriteText]. The zero value gives plain text.
type TextOptions struct {
	// Color marks the symbols and headings with ANSI escape codes, for a
	// terminal; leave it off for files, logs and pull-request comments.
	Color bool
}

// The ANSI codes of the colors terraform uses for the same symbols.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// symbol is how a kind of change is marked, in the margin of a step and in
// front of each field.
type symbol int

const (
	symCreate symbol = iota
	symUpdate
	symDelete
	symReplace
	symGate
	symNone
)

// text returns the symbol's mark and its line in the legend.
func (s symbol) text() (mark, legend string) {
	switch s {
	case symCreate:
		return "+", "create"
	case symUpdate:
		return "~", "update in place"
	case symDelete:
		return "-", "destroy"
	case symReplace:
		return "-/+", "destroy, then create again (replacement)"
	case symGate:
		return "?", "gate: wait until the named check passes"
	}
	return " ", ""
}

// margin right-aligns a mark in the three columns of the widest, -/+.
func margin(s symbol) string {
	mark, _ := s.text()
	return strings.Repeat(" ", 3-len(mark))
}

// WriteText writes the plan for people, in the style of terraform plan: a
// legend of the symbols used, then one block per step in the plan's order
// (what it does, why, and what it waits for), then the summary line:
//
//	Plan: 1 to add, 1 to change, 0 to destroy, 2 traffic shifts.
//
// Creates list the new resource's fields, updates the changed fields as
// before → after (values as [endpoint.Change] prints them: strings quoted), traffic steps the split as "blue 100 → 90, green 0 → 10".
// Values of secret-looking environment variables are redacted. The output
// depends only on the plan, so it can be compared byte for byte.
func WriteText(w io.Writer, p *Plan, opts TextOptions) error {
	_, err := io.WriteString(w, renderText(p, opts))
	return err
}

// String returns the plan as [WriteText] writes it without color.
func (p *Plan) String() string { return renderText(p, TextOptions{}) }

// printer accumulates the text of a plan.
type printer struct {
	b     strings.Builder
	color bool
	// pairs maps the ids of the two steps of each replacement to each
	// other; byID finds a step by id.
	pairs map[string]string
	byID  map[string]*Step
}

func (pr *printer) paint(code, s string) string {
	if !pr.color || s == "" || s == " " {
		return s
	}
	return code + s + ansiReset
}

// mark paints a symbol the way terraform does: each part in its own color,
// so -/+ reads as red minus, green plus.
func (pr *printer) mark(s symbol) string {
	switch s {
	case symCreate:
		return pr.paint(ansiGreen, "+")
	case symUpdate:
		return pr.paint(ansiYellow, "~")
	case symDelete:
		return pr.paint(ansiRed, "-")
	case symReplace:
		return pr.paint(ansiRed, "-") + "/" + pr.paint(ansiGreen, "+")
	case symGate:
		return pr.paint(ansiCyan, "?")
	}
	return " "
}

func (pr *printer) line(format string, args ...any) {
	fmt.Fprintf(&pr.b, format, args...)
	pr.b.WriteByte('\n')
}

// field is one line of a step's body.
type field struct {
	sym   symbol
	key   string
	value string
	note  string
}

func renderText(p *Plan, opts TextOptions) string {
	pr := &printer{color: opts.Color}
	if len(p.Steps) == 0 {
		pr.line("%s The service matches the desired state.", pr.paint(ansiBold, "No changes."))
		return pr.b.String()
	}
	pr.pairs = replacements(p.Steps)
	pr.byID = make(map[string]*Step, len(p.Steps))
	syms := make([]symbol, len(p.Steps))
	for i := range p.Steps {
		pr.byID[p.Steps[i].ID] = &p.Steps[i]
		syms[i] = stepSymbol(p.Steps[i], pr.pairs)
	}

	var about []string
	if p.Strategy != "" {
		about = append(about, "with strategy "+p.Strategy)
	}
	if p.Fingerprint != "" {
		about = append(about, "from the state with fingerprint "+shortFingerprint(p.Fingerprint))
	}
	if len(about) > 0 {
		pr.line("Plan computed %s.", strings.Join(about, " "))
	}
	pr.line("Actions are shown with these symbols:")
	for _, sym := range []symbol{symCreate, symUpdate, symDelete, symReplace, symGate} {
		if slices.Contains(syms, sym) {
			_, legend := sym.text()
			pr.line("%s%s %s", margin(sym), pr.mark(sym), legend)
		}
	}
	pr.line("")
	pr.line("Steps, in an order their dependencies allow:")
	for i, s := range p.Steps {
		pr.line("")
		pr.step(s, syms[i])
	}
	pr.line("")
	pr.line("%s %s", pr.paint(ansiBold, "Plan:"), summaryLine(p.Summary))
	return pr.b.String()
}

func (pr *printer) step(s Step, sym symbol) {
	pr.line("  %s", pr.paint(ansiBold, "# "+s.ID+": "+headline(s, pr.pairs)))
	if s.Reason != "" {
		pr.line("  #   %s", s.Reason)
	}
	if len(s.DependsOn) > 0 {
		pr.line("  #   after %s", strings.Join(s.DependsOn, ", "))
	}
	fields := pr.stepFields(s, sym)
	head := margin(sym) + pr.mark(sym) + " " + subject(s)
	if len(fields) == 0 {
		pr.line("%s", head)
		return
	}
	pr.line("%s {", head)
	width := 0
	for _, f := range fields {
		width = max(width, len(f.key))
	}
	for _, f := range fields {
		text := fmt.Sprintf("      %s %-*s = %s", pr.mark(f.sym), width, f.key, f.value)
		if f.note != "" {
			text += " " + pr.paint(ansiRed, "# "+f.note)
		}
		pr.line("%s", text)
	}
	pr.line("    }")
}

// headline says in words what the step does, like terraform's
// "# aws_instance.web will be created".
func headline(s Step, pairs map[string]string) string {
	what := subject(s)
	switch s.Action {
	case CreateEndpoint, CreateDeployment:
		if other, ok := pairs[s.ID]; ok {
			return what + " will be created again, replacing the one " + other + " destroys"
		}
		return what + " will be created"
	case UpdateEndpoint, UpdateDeployment:
		return what + " will be updated in place"
	case DeleteEndpoint, DeleteDeployment:
		suffix := ""
		if s.Action == DeleteEndpoint {
			suffix = " with its deployments"
		}
		if other, ok := pairs[s.ID]; ok {
			return what + " will be destroyed" + suffix + ", then created again by " + other
		}
		return what + " will be destroyed" + suffix
	case SetTraffic:
		return "the traffic of endpoint " + strconv.Quote(s.Endpoint) + " will shift"
	case Gate:
		return "gate " + strconv.Quote(s.Gate) + " must pass before the steps that wait for it"
	case RegisterAsset:
		return what + " will be uploaded and registered"
	}
	return what + " (" + string(s.Action) + ")"
}

// subject names what the step acts on, in the block's first line.
func subject(s Step) string {
	switch s.Action {
	case CreateDeployment, UpdateDeployment, DeleteDeployment:
		return "deployment " + strconv.Quote(s.Endpoint+"/"+s.Deployment)
	case SetTraffic:
		return "traffic " + strconv.Quote(s.Endpoint)
	case Gate:
		return "gate " + strconv.Quote(s.Gate) + " on " + strconv.Quote(s.Endpoint)
	case RegisterAsset:
		if s.Asset != nil {
			return "local " + s.Asset.Kind + " " + strconv.Quote(s.Asset.Path)
		}
	}
	return "endpoint " + strconv.Quote(s.Endpoint)
}

func stepSymbol(s Step, pairs map[string]string) symbol {
	if _, ok := pairs[s.ID]; ok {
		return symReplace
	}
	switch s.Action {
	case CreateEndpoint, CreateDeployment, RegisterAsset:
		return symCreate
	case DeleteEndpoint, DeleteDeployment:
		return symDelete
	case Gate:
		return symGate
	}
	return symUpdate
}

// replacements pairs the delete and the create of the same resource in one
// plan (a replacement, forced by a field that cannot change in place): each
// step's id maps to the other's.
func replacements(steps []Step) map[string]string {
	deleted := map[string]string{}
	for _, s := range steps {
		if s.Action == DeleteEndpoint || s.Action == DeleteDeployment {
			deleted[resourceKey(s)] = s.ID
		}
	}
	pairs := map[string]string{}
	for _, s := range steps {
		if s.Action != CreateEndpoint && s.Action != CreateDeployment {
			continue
		}
		if del, ok := deleted[resourceKey(s)]; ok {
			pairs[s.ID] = del
			pairs[del] = s.ID
		}
	}
	return pairs
}

func resourceKey(s Step) string {
	if s.Action == CreateDeployment || s.Action == DeleteDeployment {
		return "d\x00" + s.Endpoint + "\x00" + s.Deployment
	}
	return "e\x00" + s.Endpoint
}

// immutable reports whether the service cannot change a field in place.
func immutable(path string) bool { return path == "instance_type" || path == "compute" }

func (pr *printer) stepFields(s Step, sym symbol) []field {
	var fields []field
	switch s.Action {
	case RegisterAsset:
		if s.Asset != nil {
			return assetFields(s.Asset)
		}
	case CreateEndpoint, CreateDeployment:
		// Every field the new resource sets, as a change from nothing, so
		// that values print exactly as they do in updates.
		var diff []endpoint.Change
		if sym == symReplace {
			diff = pr.replacedFields(s)
		}
		replaced := make(map[string]endpoint.Change, len(diff))
		for _, c := range diff {
			replaced[c.Path] = c
		}
		for _, c := range specChanges(nil, s.EndpointAfter, nil, s.DeploymentAfter) {
			if c.Path == "name" {
				continue
			}
			f := field{sym: symCreate, key: c.Path, value: c.After}
			if r, ok := replaced[c.Path]; ok {
				f.sym, f.value = symUpdate, r.Before+" → "+r.After
				if immutable(c.Path) {
					f.note = "forces replacement"
				}
			}
			fields = append(fields, f)
		}
		for _, c := range diff {
			if unset(c.After) {
				fields = append(fields, field{sym: symDelete, key: c.Path, value: c.Before})
			}
		}
	case UpdateEndpoint, UpdateDeployment:
		for _, c := range redactChanges(s.Changes) {
			if s.Action == UpdateEndpoint && isTrafficPath(c.Path) {
				continue
			}
			f := field{sym: symUpdate, key: c.Path, value: c.Before + " → " + c.After}
			switch {
			case unset(c.Before):
				f.sym, f.value = symCreate, c.After
			case unset(c.After):
				f.sym, f.value = symDelete, c.Before
			}
			fields = append(fields, f)
		}
	}
	if writesEndpoint(s.Action) {
		fields = append(fields, trafficFields(s)...)
	}
	return fields
}

// specChanges lists the differences between two versions of an endpoint
// (without deployments and traffic) or of a deployment, whichever the step
// carries, with secrets redacted; nil stands for a resource that does not
// exist.
func specChanges(ea, eb *endpoint.Endpoint, da, db *endpoint.Deployment) []endpoint.Change {
	if ea != nil || eb != nil {
		return endpoint.DiffEndpoint(ea, eb)
	}
	var a, b endpoint.Deployment
	if da != nil {
		a = *da
	}
	if db != nil {
		b = *db
	}
	return redactChanges(endpoint.DiffDeployment(a, b))
}

// replacedFields are the fields in which a replacing create differs from
// the resource its paired delete destroys.
func (pr *printer) replacedFields(create Step) []endpoint.Change {
	del := pr.byID[pr.pairs[create.ID]]
	if del == nil {
		return nil
	}
	return specChanges(del.EndpointBefore, create.EndpointAfter, del.DeploymentBefore, create.DeploymentAfter)
}

func isTrafficPath(path string) bool {
	for _, p := range []string{"traffic", "mirror_traffic"} {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// trafficFields shows the live and mirror splits after the step, marked
// when the step changes them; an unchanged empty split is left out.
func trafficFields(s Step) []field {
	var fields []field
	for _, sp := range []struct {
		key           string
		before, after traffic.Split
	}{
		{"live traffic", s.TrafficBefore, s.Traffic},
		{"mirror traffic", s.MirrorBefore, s.Mirror},
	} {
		changed := !sp.before.Equal(sp.after)
		if !changed && sp.after.IsZero() {
			continue
		}
		f := field{sym: symNone, key: sp.key, value: Shift(sp.before, sp.after)}
		if changed {
			f.sym = symUpdate
		}
		fields = append(fields, f)
	}
	return fields
}

// Shift formats the move from one split to another as
// "blue 100 → 90, green 0 → 10": every deployment of either split in name
// order, with a deployment whose share does not change shown once
// ("blue 50"). Two empty splits give "none".
func Shift(before, after traffic.Split) string {
	names := append(before.Names(), after.Names()...)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return "none"
	}
	parts := make([]string, len(names))
	for i, n := range names {
		b, a := before.Get(n), after.Get(n)
		if b == a {
			parts[i] = fmt.Sprintf("%s %d", n, a)
		} else {
			parts[i] = fmt.Sprintf("%s %d → %d", n, b, a)
		}
	}
	return strings.Join(parts, ", ")
}

// String returns the summary as the last line of the text form says it,
// without "Plan: ": "1 to add, 0 to change, 0 to destroy, 2 traffic
// shifts, 1 gate."
func (s Summary) String() string { return summaryLine(s) }

func summaryLine(s Summary) string {
	line := fmt.Sprintf("%d to add, %d to change, %d to destroy, %s", s.Add, s.Change, s.Destroy, plural(s.Traffic, "traffic shift"))
	if s.Gates > 0 {
		line += ", " + plural(s.Gates, "gate")
	}
	if s.Assets > 0 {
		line += ", " + plural(s.Assets, "asset") + " to upload and register"
	}
	return line + "."
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// shortFingerprint keeps enough of a sha256 hex digest to tell states
// apart by eye; the JSON form has all of it.
func shortFingerprint(fp string) string {
	const n = 12
	if len(fp) <= n {
		return fp
	}
	return fp[:n]
}

// unset reports whether a change's value stands for a field that is not
// set: [endpoint.None], or empty in a change built by hand.
func unset(v string) bool { return v == "" || v == endpoint.None }
