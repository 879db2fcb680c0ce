package endpoint

import "testing"

func TestIsSecretName(t *testing.T) {
	tests := []struct {
		name   string
		want   bool
		reason string
	}{
		{"API_KEY", true, "the common case"},
		{"api_key", true, "case-insensitive"},
		{"OpenAiKey", true, "camel case"},
		{"CLIENT_SECRET", true, "secret"},
		{"GITHUB_TOKEN", true, "token"},
		{"DB_PASSWORD", true, "password"},
		{"MYSQL_PASSWD", true, "short password spelling"},
		{"DB_PWD", true, "shortest password spelling"},
		{"ServiceBusConnectionString", true, "connection strings embed keys"},
		{"AZURE_CREDENTIALS", true, "credentials"},
		{"PRIVATE_KEY_PEM", true, "private material"},
		{"STORAGE_SAS", true, "storage signatures"},
		{"MONKEY_COUNT", true, "a false positive is accepted: hiding is the safe error"},
		{"AZUREML_MODEL_DIR", false, "the ordinary settings of the examples are shown"},
		{"WORKER_COUNT", false, "plain setting"},
		{"MODE", false, "plain setting"},
		{"", false, "empty name"},
	}
	for _, tt := range tests {
		if got := IsSecretName(tt.name); got != tt.want {
			t.Errorf("IsSecretName(%q) = %v, want %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}
