package asset

import (
	"fmt"
	"strings"
)

// analysis is PyYAML's ScalarAnalysis, for the block context yaml.dump
// writes scalars in.
type analysis struct {
	empty, multiline  bool
	allowBlockPlain   bool
	allowSingleQuoted bool
}

const pyBreaks = "\n\u0085\u2028\u2029"

func isPyWhitespace(r rune) bool { return strings.ContainsRune("\x00 \t\r"+pyBreaks, r) }

// analyze is Emitter.analyze_scalar with allow_unicode off.
func analyze(s string) analysis {
	if s == "" {
		return analysis{empty: true, allowBlockPlain: true, allowSingleQuoted: true}
	}
	rs := []rune(s)
	blockIndicators := strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...")
	var lineBreaks, special, leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var previousSpace, previousBreak bool
	for i, ch := range rs {
		precededByWS := i == 0 || isPyWhitespace(rs[i-1])
		followedByWS := i+1 >= len(rs) || isPyWhitespace(rs[i+1])
		switch {
		case i == 0 && strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch),
			i == 0 && ch == '-' && followedByWS,
			(i == 0 && ch == '?' || ch == ':') && followedByWS,
			i > 0 && ch == '#' && precededByWS:
			blockIndicators = true
		}
		if strings.ContainsRune(pyBreaks, ch) {
			lineBreaks = true
		}
		if ch != '\n' && (ch < 0x20 || ch > 0x7e) {
			special = true // outside ASCII: unicode is not allowed
		}
		switch {
		case ch == ' ':
			leadingSpace = leadingSpace || i == 0
			trailingSpace = trailingSpace || i == len(rs)-1
			breakSpace = breakSpace || previousBreak
			previousSpace, previousBreak = true, false
		case strings.ContainsRune(pyBreaks, ch):
			leadingBreak = leadingBreak || i == 0
			trailingBreak = trailingBreak || i == len(rs)-1
			spaceBreak = spaceBreak || previousSpace
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
	}
	a := analysis{multiline: lineBreaks, allowBlockPlain: true, allowSingleQuoted: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak || lineBreaks || blockIndicators {
		a.allowBlockPlain = false
	}
	if breakSpace || spaceBreak || special {
		a.allowBlockPlain, a.allowSingleQuoted = false, false
	}
	return a
}

// writePlain is Emitter.write_plain for text without line breaks.
func (e *emitter) writePlain(text string, split bool) {
	if e.ctx.root {
		e.openEnded = true
	}
	if text == "" {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	rs := []rune(text)
	start, spaces := 0, false
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces && ch != ' ':
			if start+1 == end && e.column > bestWidth && split {
				e.writeIndent()
				e.whitespace, e.indention = false, false
			} else {
				e.write(string(rs[start:end]))
			}
			start = end
		case !spaces && (ch == -1 || ch == ' '):
			e.write(string(rs[start:end]))
			start = end
		}
		spaces = ch == ' '
	}
}

// writeSingleQuoted is Emitter.write_single_quoted.
func (e *emitter) writeSingleQuoted(rs []rune, split bool) {
	e.writeIndicator("'", true, false, false)
	start, spaces, breaks := 0, false, false
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > bestWidth && split && start != 0 && end != len(rs) {
					e.writeIndent()
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !strings.ContainsRune(pyBreaks, ch) {
				e.writeBreaks(rs[start:end])
				e.writeIndent()
				start = end
			}
		default:
			if ch == -1 || ch == '\'' || strings.ContainsRune(" "+pyBreaks, ch) {
				if start < end {
					e.write(string(rs[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces, breaks = ch == ' ', strings.ContainsRune(pyBreaks, ch)
		}
	}
	e.writeIndicator("'", false, false, false)
}

// writeBreaks writes line breaks of a quoted scalar: one more for a
// leading "\n", since a single break in a quoted scalar reads as a space.
func (e *emitter) writeBreaks(brs []rune) {
	if brs[0] == '\n' {
		e.writeLineBreak("\n")
	}
	for _, br := range brs {
		e.writeLineBreak(string(br))
	}
}

var pyEscapes = map[rune]string{0: "0", 7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 0x1b: "e",
	'"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_", 0x2028: "L", 0x2029: "P"}

// pyEscape is the escape write_double_quoted writes for ch.
func pyEscape(ch rune) string {
	if s, ok := pyEscapes[ch]; ok {
		return `\` + s
	}
	switch {
	case ch <= 0xff:
		return fmt.Sprintf(`\x%02X`, ch)
	case ch <= 0xffff:
		return fmt.Sprintf(`\u%04X`, ch)
	}
	return fmt.Sprintf(`\U%08X`, ch)
}

// writeDoubleQuoted is Emitter.write_double_quoted with allow_unicode off.
func (e *emitter) writeDoubleQuoted(rs []rune, split bool) {
	e.writeIndicator(`"`, true, false, false)
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if ch == -1 || ch == '"' || ch == '\\' || ch < 0x20 || ch > 0x7e {
			if start < end {
				e.write(string(rs[start:end]))
				start = end
			}
			if ch != -1 {
				e.write(pyEscape(ch))
				start = end + 1
			}
		}
		if 0 < end && end < len(rs)-1 && (ch == ' ' || start >= end) && e.column+(end-start) > bestWidth && split {
			if start < end { // after an escape start is past end: Python's slice is empty
				e.write(string(rs[start:end]))
				start = end
			}
			e.write(`\`)
			e.writeIndent()
			e.whitespace, e.indention = false, false
			if rs[start] == ' ' {
				e.write(`\`)
			}
		}
	}
	e.writeIndicator(`"`, false, false, false)
}
