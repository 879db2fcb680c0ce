package codec

// defaultSamplingRate is the rate the service takes for a collection that
// sends none (Collection.samplingRate in the specification).
const defaultSamplingRate = 1.0

// SamplingRate is the rate to send for a collection, 0 included, since an
// absent one is taken as 1. The service has no rate for the collector as a
// whole: the CLI's top-level rate is every collection's that sets none.
func SamplingRate(collection, collector float64) *float64 {
	if collection == 0 {
		collection = collector
	}
	return &collection
}

// ReadSamplingRate reads a collection's rate: one written, 0 included, or
// the service's default of 1.
func ReadSamplingRate(rate *float64) float64 {
	if rate == nil {
		return defaultSamplingRate
	}
	return *rate
}
