package backend_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/rolloutkit/rollout/backend"
)

func ExampleKindOf() {
	err := fmt.Errorf("set traffic on my-endpoint: %w", &backend.Error{
		Kind:       backend.Throttled,
		Code:       "TooManyRequests",
		Message:    "Too many requests",
		RetryAfter: 2 * time.Second,
	})
	wait, ok := backend.RetryAfter(err)
	fmt.Println(backend.KindOf(err), backend.IsRetryable(err), wait, ok)
	fmt.Println(errors.Is(err, backend.ErrThrottled), errors.Is(err, backend.ErrNotFound))
	fmt.Println(err)
	// Output:
	// throttled true 2s true
	// true false
	// set traffic on my-endpoint: backend: throttled: TooManyRequests: Too many requests (retry after 2s)
}

func ExampleKeys() {
	keys := backend.NewKeys("primary-secret", "secondary-secret")
	fmt.Println(keys)
	fmt.Printf("%+v %q\n", keys, keys)
	fmt.Println(len(keys.Primary()), len(keys.Secondary()))
	// Output:
	// backend.Keys{(redacted)}
	// backend.Keys{(redacted)} backend.Keys{(redacted)}
	// 14 16
}
