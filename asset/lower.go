package asset

import (
	"strings"
	"unicode"
)

// pyLower is Python's str.lower, which orders the CLI's file lists. It
// differs from strings.ToLower in two places: U+0130 (İ) becomes "i̇", two
// characters, and a capital sigma becomes the final ς where Unicode's
// Final_Sigma rule says so (after a cased letter, not before one, skipping
// case-ignorable characters both ways).
func pyLower(s string) string {
	if !strings.ContainsAny(s, "\u0130\u03a3") {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			b.WriteRune(sigma(rs, i))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// sigma lowers the capital sigma at rs[i]: CPython's handle_capital_sigma.
func sigma(rs []rune, i int) rune {
	j := i - 1
	for j >= 0 && caseIgnorable(rs[j]) {
		j--
	}
	final := j >= 0 && cased(rs[j])
	if final {
		j = i + 1
		for j < len(rs) && caseIgnorable(rs[j]) {
			j++
		}
		final = j == len(rs) || !cased(rs[j])
	}
	if final {
		return 'ς'
	}
	return 'σ'
}

// cased is Unicode's Cased property.
func cased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is Unicode's Case_Ignorable property: marks, format
// characters, modifiers, and the word-break characters MidLetter,
// MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) ||
		strings.ContainsRune("'.:\u00b7\u0387\u055f\u05f4\u2018\u2019\u2024\u2027\ufe13\ufe52\ufe55\uff07\uff0e\uff1a", r)
}
