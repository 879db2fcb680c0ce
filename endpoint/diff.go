package endpoint

// Change is one field that differs between two versions of a resource.
// Before and After are printable values, with secrets already redacted.
type Change struct {
	// Path is the field in YAML names, e.g. scale_settings.max_instances or
	// environment_variables.API_KEY.
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Sensitive is set when the values were redacted.
	Sensitive bool `json:"sensitive,omitempty"`
}
