package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// Fingerprint identifies an actual state: the SHA-256, in hex, of a
// canonical encoding of the normalized specs of the endpoints and their
// deployments with the provisioning state, ETag and scoring URI of each.
// The order of the endpoints and of their deployments does not matter, nor
// do server defaults written out or left implicit; any change the service
// reports (a new ETag after a write, a deployment that finished creating)
// gives another fingerprint. An executor compares the fingerprint of a
// fresh observation with [Plan.Fingerprint] and refuses a stale plan.
func Fingerprint(actual []*endpoint.Endpoint) string {
	ns := make([]named, 0, len(actual))
	for _, e := range actual {
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
	h := hasher{h: sha256.New()}
	for _, e := range ns {
		h.add(n.Normalize(e.e))
	}
	return h.sum()
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
// The encoding is written by hand rather than through encoding/json: the
// executor fingerprints every observation of a fleet, and reflection cost
// several times the planning itself. Every value is tagged and every
// string length-prefixed, so no two states encode alike; a test sets each
// field of the model in turn and checks that the fingerprint moves, so a
// field added to the model and forgotten here fails the build's tests.
type hasher struct {
	h hash.Hash
	w fpWriter
}

func (h *hasher) add(e *endpoint.Endpoint) {
	h.w.buf = h.w.buf[:0]
	h.w.endpoint(e)
	h.h.Write(h.w.buf)
}

func (h *hasher) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// fpWriter appends the canonical encoding to buf; keys is scratch space for
// sorting map keys.
type fpWriter struct {
	buf  []byte
	keys []string
}

func (w *fpWriter) str(s string) {
	w.buf = strconv.AppendInt(append(w.buf, 's'), int64(len(s)), 10)
	w.buf = append(append(w.buf, ':'), s...)
}

func (w *fpWriter) int(n int) {
	w.buf = strconv.AppendInt(append(w.buf, 'i'), int64(n), 10)
	w.buf = append(w.buf, ';')
}

func (w *fpWriter) bool(b bool) {
	if b {
		w.buf = append(w.buf, 'T')
	} else {
		w.buf = append(w.buf, 'F')
	}
}

func (w *fpWriter) float(f float64) {
	w.buf = strconv.AppendUint(append(w.buf, 'f'), math.Float64bits(f), 16)
	w.buf = append(w.buf, ';')
}

// present writes whether an optional value is there, so that nil and empty
// differ where the model lets them differ.
func (w *fpWriter) present(ok bool) { w.bool(ok) }

func (w *fpWriter) strs(l []string) {
	w.int(len(l))
	for _, s := range l {
		w.str(s)
	}
}

func (w *fpWriter) sortedKeys(add func()) []string {
	w.keys = w.keys[:0]
	add()
	slices.Sort(w.keys)
	return w.keys
}

func (w *fpWriter) strMap(m map[string]string) {
	w.int(len(m))
	if len(m) == 0 {
		return
	}
	keys := w.sortedKeys(func() {
		for k := range m {
			w.keys = append(w.keys, k)
		}
	})
	for _, k := range keys {
		w.str(k)
		w.str(m[k])
	}
}

func (w *fpWriter) split(s traffic.Split) {
	w.int(s.Len())
	for n, v := range s.All() {
		w.str(n)
		w.int(v)
	}
}

func (w *fpWriter) status(s endpoint.Status) {
	w.str(string(s.ProvisioningState))
	w.str(s.ETag)
	w.str(s.ScoringURI)
}

func (w *fpWriter) ref(r endpoint.Reference) {
	w.str(r.Name)
	w.str(r.Version)
	w.str(r.Label)
	w.str(r.Registry)
	w.str(r.ID)
	w.str(r.Path)
	w.str(r.Type)
}

func (w *fpWriter) endpoint(e *endpoint.Endpoint) {
	w.buf = append(w.buf, 'E')
	w.str(e.Name)
	w.str(e.Description)
	w.strMap(e.Tags)
	w.strMap(e.Properties)
	w.str(string(e.AuthMode))
	w.str(e.Compute)
	w.present(e.Identity != nil)
	if e.Identity != nil {
		w.str(e.Identity.Type)
		w.strs(e.Identity.UserAssignedIdentities)
	}
	w.str(string(e.PublicNetworkAccess))
	w.split(e.Traffic)
	w.split(e.Mirror)
	w.status(e.Status)
	w.int(len(e.Deployments))
	for i := range e.Deployments {
		w.deployment(&e.Deployments[i])
	}
}

func (w *fpWriter) deployment(d *endpoint.Deployment) {
	w.buf = append(w.buf, 'D')
	w.str(d.Name)
	w.str(string(d.Type))
	w.str(d.Description)
	w.strMap(d.Tags)
	w.strMap(d.Properties)
	w.ref(d.Model)
	w.str(d.ModelMountPath)
	w.ref(d.CodeConfiguration.Code)
	w.str(d.CodeConfiguration.ScoringScript)
	env := &d.Environment
	w.ref(env.Reference)
	w.str(env.Image)
	w.str(env.CondaFile)
	w.str(env.Build.Path)
	w.str(env.Build.DockerfilePath)
	for _, r := range [...]endpoint.Route{env.InferenceConfig.LivenessRoute, env.InferenceConfig.ReadinessRoute, env.InferenceConfig.ScoringRoute} {
		w.str(r.Path)
		w.int(r.Port)
	}
	w.str(env.OSType)
	w.strMap(d.EnvironmentVariables)
	w.str(d.InstanceType)
	w.int(d.InstanceCount)
	s := d.ScaleSettings
	w.str(string(s.Type))
	w.int(s.MinInstances)
	w.int(s.MaxInstances)
	w.int(s.PollingInterval)
	w.int(s.TargetUtilizationPercentage)
	r := d.RequestSettings
	w.int(r.RequestTimeoutMS)
	w.int(r.MaxConcurrentRequestsPerInstance)
	w.int(r.MaxQueueWaitMS)
	for _, p := range [...]endpoint.Probe{d.LivenessProbe, d.ReadinessProbe} {
		w.int(p.InitialDelay)
		w.int(p.Period)
		w.int(p.Timeout)
		w.int(p.SuccessThreshold)
		w.int(p.FailureThreshold)
	}
	w.bool(d.AppInsightsEnabled)
	w.str(string(d.EgressPublicNetworkAccess))
	w.dataCollector(d.DataCollector)
	for _, q := range [...]endpoint.Quantities{d.Resources.Requests, d.Resources.Limits} {
		w.str(q.CPU)
		w.str(q.Memory)
		w.str(q.GPU)
	}
	w.status(d.Status)
	w.optionalProbe('P', d.StartupProbe)
}

// optionalProbe writes a probe that may be unset under its own tag, and
// nothing when unset: fingerprints of plans saved before the field existed
// stay the same.
func (w *fpWriter) optionalProbe(tag byte, p endpoint.Probe) {
	if p == (endpoint.Probe{}) {
		return
	}
	w.buf = append(w.buf, tag)
	w.int(p.InitialDelay)
	w.int(p.Period)
	w.int(p.Timeout)
	w.int(p.SuccessThreshold)
	w.int(p.FailureThreshold)
}

func (w *fpWriter) dataCollector(dc *endpoint.DataCollector) {
	w.present(dc != nil)
	if dc == nil {
		return
	}
	w.int(len(dc.Collections))
	if len(dc.Collections) > 0 {
		keys := w.sortedKeys(func() {
			for k := range dc.Collections {
				w.keys = append(w.keys, k)
			}
		})
		for _, k := range keys {
			c := dc.Collections[k]
			w.str(k)
			w.bool(c.Enabled)
			w.ref(c.Data)
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
