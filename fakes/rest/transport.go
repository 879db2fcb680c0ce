package rest

import (
	"errors"
	"net/http"
	"net/http/httptest"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// errDropped is what the in-process transport returns for a dropped
// connection.
var errDropped = errors.New("rest: connection closed by the emulator without an answer")

// Transport returns an azcore transporter that calls the emulator in the
// caller's goroutine, with no sockets: a client built on it can run inside
// a testing/synctest bubble, where the in-memory service's latencies pass
// in simulated time. A dropped connection is a transport error.
func (s *Server) Transport() policy.Transporter { return transport{s} }

type transport struct{ s *Server }

type recorder struct {
	*httptest.ResponseRecorder
	dropped bool
}

func (r *recorder) drop() { r.dropped = true }

// Do implements policy.Transporter.
func (t transport) Do(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.RequestURI = req.URL.RequestURI()
	rec := &recorder{ResponseRecorder: httptest.NewRecorder()}
	t.s.ServeHTTP(rec, in)
	if rec.dropped {
		return nil, errDropped
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
