package endpoint

import "strings"

// Redacted replaces the value of a sensitive setting in every output of this
// package: diffs, change lists and validation messages.
const Redacted = "(sensitive value)"

// secretWords are the parts of an environment variable name that mark its
// value as sensitive. The list errs towards hiding: a false positive (an
// innocent MONKEY_COUNT) costs a less useful diff, a false negative leaks a
// credential into plan output, logs and CI history.
//
// PWD and PASSWD are included because they are common spellings of
// passwords in connection settings (DB_PWD); the shell's own PWD is never
// set on a deployment, so hiding it costs nothing. CREDENTIAL and
// PRIVATE cover names such as AZURE_CREDENTIALS and PRIVATE_KEY_PEM, and SAS
// covers storage signatures (STORAGE_SAS).
var secretWords = [...]string{"KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PWD", "CONNECTION", "CREDENTIAL", "PRIVATE", "SAS"}

// IsSecretName reports whether an environment variable with this name
// probably holds a secret, so its value must never be printed. The check is
// case-insensitive and matches anywhere in the name: API_KEY, db_password,
// ServiceBusConnectionString, GITHUB_TOKEN, DB_PWD, AZURE_CREDENTIALS,
// STORAGE_SAS.
func IsSecretName(name string) bool {
	upper := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(upper, w) {
			return true
		}
	}
	return false
}
