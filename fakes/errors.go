package fakes

import (
	"fmt"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/internal/rules"
)

// The service's error codes, as its REST API returns them in
// {"error": {"code", "message"}}.
const (
	codeNotFound           = "NotFound"
	codeConflict           = "Conflict"
	codeBadArgument        = "BadArgument"
	codePreconditionFailed = "PreconditionFailed"
	codeProvisioning       = "ProvisioningFailed"
)

func errorf(kind backend.Kind, code, format string, args ...any) *backend.Error {
	return &backend.Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

func endpointNotFound(name string) *backend.Error {
	return errorf(backend.NotFound, codeNotFound, "Online endpoint %s not found", name)
}

func invalid(format string, args ...any) *backend.Error {
	return errorf(backend.Invalid, codeBadArgument, format, args...)
}

func conflict(format string, args ...any) *backend.Error {
	return errorf(backend.Conflict, codeConflict, format, args...)
}

func provisioningFailed(f failure, what string) *backend.Error {
	code := f.code
	if code == "" {
		code = codeProvisioning
	}
	msg := f.message
	if msg == "" {
		msg = what + " ended in the Failed provisioning state"
	}
	return &backend.Error{Kind: backend.ProvisioningFailed, Code: code, Message: msg}
}

func preconditionFailed(what, want, have string) *backend.Error {
	if have == "" {
		return errorf(backend.Precondition, codePreconditionFailed, "%s does not exist; If-Match %s cannot match", what, want)
	}
	return errorf(backend.Precondition, codePreconditionFailed, "%s has ETag %s, not %s: it changed since it was read", what, have, want)
}

// refused turns a refusal of the service's rules into the service's error.
func refused(r *rules.Refusal) *backend.Error {
	kind := backend.Invalid
	switch r.Code {
	case rules.NotFound:
		kind = backend.NotFound
	case rules.Conflict:
		kind = backend.Conflict
	}
	return &backend.Error{Kind: kind, Code: r.Code, Message: r.Msg}
}
