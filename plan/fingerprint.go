package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
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
			ns = append(ns, named{key: strings.ToLower(e.Name), e: endpoint.Normalized(e)})
		}
	}
	slices.SortFunc(ns, func(a, b named) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.e.Name, b.e.Name)
	})
	return fingerprint(ns)
}

// fingerprintRecord is what is hashed for one endpoint: the spec (with its
// deployments, through their YAML field names), and the statuses that the
// spec's encoding leaves out.
type fingerprintRecord struct {
	Spec        *endpoint.Endpoint `json:"spec"`
	Status      endpoint.Status    `json:"status"`
	Deployments []endpoint.Status  `json:"deployment_status"`
}

// fingerprint hashes normalized endpoints already sorted by key.
func fingerprint(ns []named) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	var rec fingerprintRecord
	for _, n := range ns {
		rec.Spec, rec.Status = n.e, n.e.Status
		rec.Deployments = rec.Deployments[:0]
		for i := range n.e.Deployments {
			rec.Deployments = append(rec.Deployments, n.e.Deployments[i].Status)
		}
		// The encoding of these types cannot fail: no channels, functions
		// or cyclic values, and traffic.Split's MarshalJSON only fails for
		// names that json.Marshal of a string accepts.
		_ = enc.Encode(&rec)
	}
	return hex.EncodeToString(h.Sum(nil))
}
