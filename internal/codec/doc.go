// Package codec holds the value codecs of the service's REST API that the
// client (backend/azureml) and the emulator (fakes/rest) share: ISO-8601
// durations and the tables of enumerations, with the spellings of the model
// on one side and the service's on the other.
//
// The body types of the two sides stay apart, each checked against the
// service's specification on its own; the values inside them are read and
// written here, once, so that the two sides cannot disagree about what
// "P1DT" or "AzureMLCompute" means.
//
// # Extensible enumerations
//
// The service marks most of its enumerations extensible (modelAsString):
// a newer service may send a value this package has never heard of. [Enum]
// reads such a value as written and says it is unknown, so that a read
// never fails on it; only a write that must understand the value refuses.
package codec
