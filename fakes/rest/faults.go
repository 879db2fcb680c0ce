package rest

import (
	"net/http"
	"strings"
	"time"
)

// Fault is what an injected failure does to a request.
type Fault struct {
	// Status is the HTTP status answered (429, 500, 503, ...) with an ARM
	// error body; ignored when Drop is set.
	Status int
	// RetryAfter is sent as Retry-After (and Retry-After-Ms when under a
	// second); a 429 always carries one, 1 s when this is zero, as ARM
	// does.
	RetryAfter time.Duration
	// Drop closes the connection without an answer: the client sees a
	// transport error and cannot tell whether the request was served.
	Drop bool
}

// FaultRule selects requests by method and path and injects a fault into
// some of them before the emulator sees them. Of the selected requests, the
// first Skip pass, then the fault fires at most Count times (no limit when
// 0), each time with Probability (always when it is 0 or 1 or more),
// drawn from the generator seeded by [Options.Seed].
type FaultRule struct {
	// Method selects one HTTP method; "" selects every method.
	Method string
	// Path selects requests whose path contains it, ignoring case
	// ("/deployments/green", "/score/"); "" selects every path.
	Path        string
	Skip, Count int
	Probability float64
	Fault       Fault
}

// injectFault answers the request with the first fault that fires, and
// reports whether one did.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.pickFault(r)
	if !ok {
		return false
	}
	if f.Drop {
		drop(w)
		return true
	}
	req := &request{w: w, r: r}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	retry := f.RetryAfter
	if status == http.StatusTooManyRequests && retry <= 0 {
		retry = time.Second
	}
	code := map[int]string{
		http.StatusTooManyRequests:     "TooManyRequests",
		http.StatusInternalServerError: "InternalServerError",
		http.StatusServiceUnavailable:  "ServiceUnavailable",
	}[status]
	if code == "" {
		code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	req.fail(status, code, "Injected fault: "+http.StatusText(status), retry)
	return true
}

func (s *Server) pickFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rule := range s.opts.Faults {
		if rule.Method != "" && !strings.EqualFold(rule.Method, r.Method) {
			continue
		}
		if rule.Path != "" && !strings.Contains(strings.ToLower(r.URL.Path), strings.ToLower(rule.Path)) {
			continue
		}
		s.seen[i]++
		if s.seen[i] <= rule.Skip || (rule.Count > 0 && s.fired[i] >= rule.Count) {
			continue
		}
		if rule.Probability > 0 && rule.Probability < 1 && s.rng.Float64() >= rule.Probability {
			continue
		}
		s.fired[i]++
		return rule.Fault, true
	}
	return Fault{}, false
}

// dropper is a response writer that can lose its answer without a
// connection to close: the in-process transport's.
type dropper interface{ drop() }

// drop closes the connection under w, or makes the in-process transport
// fail the call.
func drop(w http.ResponseWriter) {
	if d, ok := w.(dropper); ok {
		d.drop()
		return
	}
	if h, ok := w.(http.Hijacker); ok {
		if conn, _, err := h.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// No connection to close (HTTP/2): abort the handler, which resets the
	// stream.
	panic(http.ErrAbortHandler)
}
