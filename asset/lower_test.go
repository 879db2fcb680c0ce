package asset

import "testing"

// TestPyLower: the expected values are Python 3.11's str.lower.
func TestPyLower(t *testing.T) {
	tests := []struct{ reason, in, want string }{
		{"a dotted capital I becomes i and a combining dot", "İx", "i\u0307x"},
		{"a sigma that ends a word takes the final form", "ΑΣ", "ας"},
		{"a sigma alone is not final", "Σ", "σ"},
		{"a sigma before a letter is not final", "ΣΑ", "σα"},
		{"letters after case-ignorable dots still follow it", "ΑΣ.txt", "ασ.txt"},
		{"a case-ignorable dot at the end does not", "ΑΣ.", "ας."},
		{"a slash ends the word", "ΑΣ/b", "ας/b"},
		{"a combining accent before it is skipped", "Α\u0301Σ", "α\u0301ς"},
		{"a title-case letter is cased", "ǅΣ", "ǆς"},
		{"other letters lower as in Go", "ÉA_b.TXT", "éa_b.txt"},
	}
	for _, tt := range tests {
		if got := pyLower(tt.in); got != tt.want {
			t.Errorf("%s: pyLower(%q) = %q, want %q", tt.reason, tt.in, got, tt.want)
		}
	}
}
