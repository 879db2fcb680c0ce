package plan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// Fingerprint identifies an actual state: the SHA-256, in hex, of a
// compact binary canonical encoding of the normalized specs of the endpoints and their
// deployments with the provisioning state, ETag and scoring URI of each.
// The order of the endpoints and of their deployments does not matter, nor
// do server defaults written out or left implicit; any change the service
// reports (a new ETag after a write, a deployment that finished creating)
// gives another fingerprint. An executor compares the fingerprint of a
// fresh observation with [Plan.Fingerprint] and refuses a stale plan.
// The value is the same in every process and on every machine for one
// version of this package; a version that encodes states otherwise gives
// other values, so plans it saved read as stale (see the JSON format in
// the package documentation).
//
// The versions that the labels of the desired state resolved to are part
// of the state too ([Plan.Labels]): give them, and the fingerprint moves
// when one of them does. Without labels it is the fingerprint of the
// endpoints alone.
func Fingerprint(actual []*endpoint.Endpoint, labels ...endpoint.AssetLabel) string {
	return withLabels(hashAll(hasher{h: sha256.New()}, actual), labels)
}

// hashAll hashes the normalized endpoints with h in the order of their
// keys, then of their names.
func hashAll(h hasher, es []*endpoint.Endpoint) string {
	ns := make([]named, 0, len(es))
	for _, e := range es {
		if e != nil {
			ns = append(ns, named{key: strings.ToLower(e.Name), e: e})
		}
	}
	slices.SortFunc(ns, func(a, b named) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.e.Name, b.e.Name)
	})
	var n endpoint.Normalizer
	for _, e := range ns {
		h.add(n.Normalize(e.e))
	}
	return h.sum()
}

// DesiredFingerprint identifies a desired state the way [Fingerprint]
// identifies an actual one, with two differences: the values of
// environment variables whose names look secret ([endpoint.IsSecretName])
// are left out, since a plan that records the fingerprint may be posted
// where people read it and a hash of a short secret can be guessed; and
// the names are those of the desired specs. [Compute] records it in
// [Plan.DesiredFingerprint], so that whoever applies a saved plan with the
// specs it was computed for can refuse specs that changed since.
func DesiredFingerprint(desired []*endpoint.Endpoint) string {
	return hashAll(desiredHasher(), desired)
}

// desiredHasher returns the hasher of [DesiredFingerprint].
func desiredHasher() hasher {
	return hasher{h: sha256.New(), w: fpWriter{redact: true}}
}

// fingerprint hashes normalized endpoints already sorted by key.
func fingerprint(ns []named) string {
	h := hasher{h: sha256.New()}
	for _, n := range ns {
		h.add(n.e)
	}
	return h.sum()
}

// hasher computes a fingerprint from normalized endpoints added in key
// order.
//
// The encoding is compact and binary, written by hand rather than through
// encoding/json or formatted text: the planner fingerprints every endpoint
// of a fleet on every plan, unchanged or not, so this is most of what an
// unchanged endpoint costs. Values follow the model in a fixed order,
// integers as varints, strings, lists and maps prefixed with their
// lengths, optional values with whether they are there, so the encoding is
// self-delimiting and no two states encode alike. A test sets each field
// of the model in turn and checks that the fingerprint moves, so a field
// added to the model and forgotten here fails the build's tests.
//
// The fingerprint's value is only ever compared with another computed by
// the same encoding; a plan saved by a version with another encoding reads
// as stale, and planning again gives a current one.
type hasher struct {
	h hash.Hash
	w fpWriter
}

func (h *hasher) add(e *endpoint.Endpoint) {
	h.w.buf = h.w.buf[:0]
	h.w.endpoint(e)
	h.h.Write(h.w.buf)
}

// addBoth adds the actual endpoint a to h and, as the desired state of an
// endpoint that is unchanged, to the redacting hd, from one encoding: the
// desired one is the actual one without the spans that hold the status,
// a label's resolved asset or a secret value (secret values read as
// endpoint.Redacted).
func addBoth(h, hd *hasher, a *endpoint.Endpoint) {
	h.w.buf, h.w.spans, h.w.mark = h.w.buf[:0], h.w.spans[:0], true
	h.w.endpoint(a)
	h.w.mark = false
	h.h.Write(h.w.buf)
	hd.w.buf = hd.w.buf[:0]
	prev := 0
	for _, s := range h.w.spans {
		hd.w.buf = append(hd.w.buf, h.w.buf[prev:s.start]...)
		if s.secret {
			hd.w.str(endpoint.Redacted)
		}
		prev = s.end
	}
	hd.w.buf = append(hd.w.buf, h.w.buf[prev:]...)
	hd.h.Write(hd.w.buf)
}

func (h *hasher) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// withLabels returns the fingerprint fp of the endpoints combined with
// resolved labels, in order: the SHA-256 of fp followed by the labels'
// encoding, so that the two parts cannot run into each other. No labels
// leave fp as it is.
func withLabels(fp string, ls []endpoint.AssetLabel) string {
	if len(ls) == 0 {
		return fp
	}
	var w fpWriter
	w.str(fp)
	for _, l := range slices.SortedFunc(slices.Values(ls), endpoint.AssetLabel.Compare) {
		for _, s := range [...]string{l.Kind, l.Registry, l.Name, l.Label, l.Version} {
			w.str(s)
		}
	}
	sum := sha256.Sum256(w.buf)
	return hex.EncodeToString(sum[:])
}

// fpWriter appends the canonical encoding to buf; keys, kvs and envs are
// scratch space for sorting maps.
type fpWriter struct {
	buf  []byte
	keys []string
	kvs  []entry
	// envs are the entries of the last environment variables written.
	envs []entry
	// redact leaves out the values of secret-looking environment
	// variables, and the status, which a desired state does not have.
	redact bool
	// mark records in spans where the status, the secret values and the
	// assets labels resolved to are, which redacting leaves out (see
	// addBoth).
	mark  bool
	spans []span
	// secrets remembers which variable names look secret.
	secrets secretNames
	// deployments are where the encodings of the deployments of the
	// last endpoint written start in buf, and where the last one ends.
	deployments []int
}

// span is a part of an encoding that redacting leaves out: a status, a
// label's asset, or a secret value that reads as endpoint.Redacted
// instead.
type span struct {
	start, end int
	secret     bool
}

func (w *fpWriter) str(s string) { w.buf = appendStr(w.buf, s) }

func (w *fpWriter) int(n int) { w.buf = appendInt(w.buf, n) }

// appendStr appends s to b, prefixed with its length. The encoders
// append to a local slice, which stays in registers, rather than to the
// writer's buf field, which every append would load and store.
func appendStr(b []byte, s string) []byte {
	if len(s) >= 0x80 {
		return append(binary.AppendUvarint(b, uint64(len(s))), s...)
	}
	b = append(b, byte(len(s)))
	if len(s) == 0 {
		// Most fields of a spec are empty: no copy to call.
		return b
	}
	return append(b, s...)
}

// appendInt appends n as a varint.
func appendInt(b []byte, n int) []byte {
	if 0 <= n && n < 0x40 {
		// What binary.AppendVarint writes for small counts, without the call.
		return append(b, byte(n<<1))
	}
	return binary.AppendVarint(b, int64(n))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func (w *fpWriter) bool(b bool) { w.buf = appendBool(w.buf, b) }

func (w *fpWriter) float(f float64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(f))
}

// present writes whether an optional value is there, so that nil and empty
// differ where the model lets them differ.
func (w *fpWriter) present(ok bool) { w.bool(ok) }

func (w *fpWriter) strs(l []string) {
	b := appendInt(w.buf, len(l))
	for _, s := range l {
		b = appendStr(b, s)
	}
	w.buf = b
}

// sorted returns the keys of m in order, in the writer's scratch space.
func sorted[V any](w *fpWriter, m map[string]V) []string {
	w.keys = w.keys[:0]
	for k := range m {
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys)
	return w.keys
}

// entries returns the entries of m sorted by key, in the writer's
// scratch space: one pass over the map, no lookup by key after it.
func (w *fpWriter) entries(m map[string]string) []entry {
	w.kvs = sortedEntries(w.kvs[:0], m)
	return w.kvs
}

func sortedEntries(dst []entry, m map[string]string) []entry {
	for k, v := range m {
		dst = append(dst, entry{k, v})
	}
	slices.SortFunc(dst, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return dst
}

// envEntries is entries for environment variables, with scratch space of
// its own that keeps the last map's entries: the deployments of a fleet
// mostly set the same variables, and when m has the keys of the last map,
// looking their values up costs a fraction of ranging over m and sorting.
func (w *fpWriter) envEntries(m map[string]string) []entry {
	if len(m) == len(w.envs) && valuesOf(m, w.envs) {
		return w.envs
	}
	w.envs = sortedEntries(w.envs[:0], m)
	return w.envs
}

// valuesOf sets the values of es, entries with distinct keys, to those
// of their keys in m, and reports whether m has every key. As long as m
// has as many keys as es, es then holds all of m.
func valuesOf(m map[string]string, es []entry) bool {
	for i := range es {
		v, ok := m[es[i].key]
		if !ok {
			return false
		}
		es[i].value = v
	}
	return true
}

// entry is an entry of a map of strings.
type entry struct{ key, value string }

func (w *fpWriter) strMap(m map[string]string) {
	if len(m) == 0 {
		w.int(0)
		return
	}
	b := appendInt(w.buf, len(m))
	for _, e := range w.entries(m) {
		b = appendStr(appendStr(b, e.key), e.value)
	}
	w.buf = b
}

// tags writes tags as strMap does, and tags written empty (not nil) as a
// count no map has, so that fingerprints of states without them stay as
// they were.
func (w *fpWriter) tags(m map[string]string) {
	if m != nil && len(m) == 0 {
		w.int(-1)
		return
	}
	w.strMap(m)
}

// env writes environment variables, secret values left out when the
// writer redacts.
func (w *fpWriter) env(m map[string]string) {
	if len(m) == 0 {
		w.int(0)
		return
	}
	// As strMap writes them, but for the values left out.
	b := appendInt(w.buf, len(m))
	for _, e := range w.envEntries(m) {
		b = appendStr(b, e.key)
		switch {
		case !w.redact && !w.mark || !w.secrets.is(e.key):
			b = appendStr(b, e.value)
		case w.redact:
			b = appendStr(b, endpoint.Redacted)
		default:
			start := len(b)
			b = appendStr(b, e.value)
			w.spans = append(w.spans, span{start, len(b), true})
		}
	}
	w.buf = b
}

// secretNames remembers what [endpoint.IsSecretName] said of the names
// it was asked about, a few of them: the deployments of a fleet mostly
// set the same variables.
type secretNames []secretName

type secretName struct {
	name   string
	secret bool
}

// maxSecretNames bounds the names a secretNames remembers.
const maxSecretNames = 32

// is reports endpoint.IsSecretName(name).
func (s *secretNames) is(name string) bool {
	for _, n := range *s {
		if n.name == name {
			return n.secret
		}
	}
	secret := endpoint.IsSecretName(name)
	if *s == nil {
		*s = make(secretNames, 0, maxSecretNames/4)
	}
	if len(*s) < maxSecretNames {
		*s = append(*s, secretName{name, secret})
	}
	return secret
}

func (w *fpWriter) split(s traffic.Split) {
	b := appendInt(w.buf, s.Len())
	for n, v := range s.All() {
		b = appendInt(appendStr(b, n), v)
	}
	w.buf = b
}

func (w *fpWriter) status(s *endpoint.Status) {
	if w.redact {
		return
	}
	start := len(w.buf)
	w.buf = appendStr(appendStr(appendStr(w.buf, string(s.ProvisioningState)), s.ETag), s.ScoringURI)
	if w.mark {
		w.spans = append(w.spans, span{start, len(w.buf), false})
	}
}

func (w *fpWriter) ref(r *endpoint.Reference) {
	b := appendStr(w.buf, r.Name)
	b = appendStr(b, r.Version)
	b = appendStr(b, r.Label)
	b = appendStr(b, r.Registry)
	b = appendStr(b, r.ID)
	b = appendStr(b, r.Path)
	w.buf = appendStr(b, r.Type)
	if r.Asset.IsZero() || w.redact && r.IsLabel() {
		// A label's version is not part of a desired state: it is
		// what the service held when it was observed.
		return // the fingerprints of states without local files stay as they were
	}
	start := len(w.buf)
	w.buf = append(w.buf, 'A')
	w.asset(&r.Asset)
	if w.mark && r.IsLabel() {
		w.spans = append(w.spans, span{start, len(w.buf), false})
	}
}

func (w *fpWriter) asset(a *endpoint.Asset) {
	b := appendStr(w.buf, a.Name)
	b = appendStr(b, a.Version)
	b = appendStr(b, a.Hash)
	b = appendStr(b, a.ObjectHash)
	b = appendStr(b, a.Conda)
	b = appendStr(b, a.Source)
	b = appendStr(b, a.Err)
	b = appendInt(b, a.Files)
	b = appendInt(b, int(a.Size))
	if a.Registry != "" {
		// Only resolved labels of curated environments have one;
		// the fingerprints of other states stay as they were.
		b = appendStr(append(b, 'R'), a.Registry)
	}
	w.buf = b
}

func (w *fpWriter) endpoint(e *endpoint.Endpoint) {
	w.buf = appendStr(appendStr(w.buf, e.Name), e.Description)
	w.tags(e.Tags)
	w.strMap(e.Properties)
	b := appendStr(w.buf, string(e.AuthMode))
	b = appendStr(b, e.Compute)
	b = appendBool(b, e.Identity != nil)
	if e.Identity != nil {
		b = appendStr(b, e.Identity.Type)
		w.buf = b
		w.strs(e.Identity.UserAssignedIdentities)
		b = w.buf
	}
	w.buf = appendStr(b, string(e.PublicNetworkAccess))
	w.split(e.Traffic)
	w.split(e.Mirror)
	w.status(&e.Status)
	w.int(len(e.Deployments))
	w.deployments = append(slices.Grow(w.deployments[:0], len(e.Deployments)+1), len(w.buf))
	for i := range e.Deployments {
		w.deployment(&e.Deployments[i])
		w.deployments = append(w.deployments, len(w.buf))
	}
}

func (w *fpWriter) deployment(d *endpoint.Deployment) {
	w.buf = appendStr(appendStr(appendStr(w.buf, d.Name), string(d.Type)), d.Description)
	w.tags(d.Tags)
	w.strMap(d.Properties)
	w.ref(&d.Model)
	w.str(d.ModelMountPath)
	w.ref(&d.CodeConfiguration.Code)
	w.str(d.CodeConfiguration.ScoringScript)
	w.ref(&d.Environment.Reference)
	w.buf = appendEnvironment(w.buf, &d.Environment)
	w.env(d.EnvironmentVariables)
	w.buf = appendSizing(w.buf, d)
	w.dataCollector(d.DataCollector)
	b := w.buf
	for _, q := range [...]*endpoint.Quantities{&d.Resources.Requests, &d.Resources.Limits} {
		b = appendStr(appendStr(appendStr(b, q.CPU), q.Memory), q.GPU)
	}
	w.buf = b
	w.status(&d.Status)
}

// appendEnvironment appends the fields of an environment after its
// reference.
func appendEnvironment(b []byte, env *endpoint.Environment) []byte {
	b = appendStr(b, env.Image)
	b = appendStr(b, env.CondaFile)
	b = appendStr(b, env.Build.Path)
	b = appendStr(b, env.Build.DockerfilePath)
	ic := &env.InferenceConfig
	for _, r := range [...]*endpoint.Route{&ic.LivenessRoute, &ic.ReadinessRoute, &ic.ScoringRoute} {
		b = appendInt(appendStr(b, r.Path), r.Port)
	}
	return appendStr(b, env.OSType)
}

// appendSizing appends a deployment's instances, scaling, request
// settings, probes, application insights and egress.
func appendSizing(b []byte, d *endpoint.Deployment) []byte {
	b = appendStr(b, d.InstanceType)
	b = appendInt(b, d.InstanceCount)
	s := &d.ScaleSettings
	b = appendStr(b, string(s.Type))
	b = appendInt(b, s.MinInstances)
	b = appendInt(b, s.MaxInstances)
	b = appendInt(b, s.PollingInterval)
	b = appendInt(b, s.TargetUtilizationPercentage)
	r := &d.RequestSettings
	b = appendInt(b, r.RequestTimeoutMS)
	b = appendInt(b, r.MaxConcurrentRequestsPerInstance)
	b = appendInt(b, r.MaxQueueWaitMS)
	for _, p := range [...]*endpoint.Probe{&d.LivenessProbe, &d.ReadinessProbe, &d.StartupProbe} {
		b = appendInt(b, p.InitialDelay)
		b = appendInt(b, p.Period)
		b = appendInt(b, p.Timeout)
		b = appendInt(b, p.SuccessThreshold)
		b = appendInt(b, p.FailureThreshold)
	}
	b = appendBool(b, d.AppInsightsEnabled)
	return appendStr(b, string(d.EgressPublicNetworkAccess))
}

func (w *fpWriter) dataCollector(dc *endpoint.DataCollector) {
	w.present(dc != nil)
	if dc == nil {
		return
	}
	w.int(len(dc.Collections))
	if len(dc.Collections) > 0 {
		for _, k := range sorted(w, dc.Collections) {
			c := dc.Collections[k]
			w.str(k)
			w.bool(c.Enabled)
			w.ref(&c.Data)
			w.str(c.ClientID)
			w.float(c.SamplingRate)
		}
	}
	w.float(dc.SamplingRate)
	w.str(dc.RollingRate)
	w.present(dc.RequestLogging != nil)
	if dc.RequestLogging != nil {
		w.strs(dc.RequestLogging.CaptureHeaders)
	}
}
