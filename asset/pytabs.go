package asset

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// checkTabs refuses a tab where PyYAML's scanner, which the CLI reads
// conda files with, refuses one: PyYAML separates tokens with spaces only,
// so a tab is allowed only in a comment, a quoted scalar or the body of a
// block scalar (| or >). text is the document without its byte order mark
// and root its parsed node.
func checkTabs(text string, root *yaml.Node) error {
	if !strings.Contains(text, "\t") {
		return nil
	}
	lines := yamlLines(text)
	allowed := make([]bool, len(text))
	tabSpans(root, lines, text, allowed)
	for n, l := range lines {
		comment := false
		for i := l.start; i < l.end; i++ {
			c := text[i]
			if c == '#' && !allowed[i] && (i == l.start || text[i-1] == ' ' || text[i-1] == '\t') {
				comment = true
			}
			if c == '\t' && !allowed[i] && !comment {
				return fmt.Errorf("line %d: found a tab, which the CLI's YAML reader refuses outside quotes, comments and block scalars", n+1)
			}
		}
	}
	return nil
}

// line is one line of a YAML text, as byte offsets without its break.
type line struct{ start, end int }

// yamlLines splits text at YAML's line breaks: \r\n, \r, \n, U+0085,
// U+2028 and U+2029.
func yamlLines(text string) []line {
	var out []line
	start := 0
	for i := 0; i < len(text); {
		n := breakAt(text, i)
		if n == 0 {
			i++
			continue
		}
		out = append(out, line{start, i})
		i += n
		start = i
	}
	return append(out, line{start, len(text)})
}

// breakAt is the length in bytes of the line break at text[i:], 0 for none.
func breakAt(text string, i int) int {
	for _, br := range []string{"\r\n", "\r", "\n", "\u0085", "\u2028", "\u2029"} {
		if strings.HasPrefix(text[i:], br) {
			return len(br)
		}
	}
	return 0
}

// tabSpans marks in allowed the bytes of text inside the quoted scalars and
// block scalar bodies of the tree at n.
func tabSpans(n *yaml.Node, lines []line, text string, allowed []bool) {
	for _, c := range n.Content {
		tabSpans(c, lines, text, allowed)
	}
	if n.Kind != yaml.ScalarNode || n.Line < 1 || n.Line > len(lines) {
		return
	}
	start := offset(text, lines[n.Line-1], n.Column-1)
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		markQuoted(text, start, '"', allowed)
	case n.Style&yaml.SingleQuotedStyle != 0:
		markQuoted(text, start, '\'', allowed)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		markBlock(lines, n.Line, text, allowed)
	}
}

// offset is the byte offset of the col'th character (0-based) of l.
func offset(text string, l line, col int) int {
	i := l.start
	for ; col > 0 && i < l.end; col-- {
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return i
}

// markQuoted marks a quoted scalar that starts at or after from (past an
// anchor or a tag) and ends at its closing quote.
func markQuoted(text string, from int, quote byte, allowed []bool) {
	i := strings.IndexByte(text[from:], quote)
	if i < 0 {
		return
	}
	for i += from + 1; i < len(text); i++ {
		switch {
		case quote == '"' && text[i] == '\\':
			allowed[i] = true
			i++
		case text[i] == quote && quote == '\'' && i+1 < len(text) && text[i+1] == '\'':
			allowed[i] = true
			i++
		case text[i] == quote:
			return
		}
		if i < len(text) {
			allowed[i] = true
		}
	}
}

// markBlock marks the lines after a block scalar's header on line header
// (1-based) that are blank or indented more than the header's line: the
// body can be no wider.
func markBlock(lines []line, header int, text string, allowed []bool) {
	indent := spaces(text, lines[header-1])
	for _, l := range lines[header:] {
		if l.start+spaces(text, l) < l.end && spaces(text, l) <= indent {
			return
		}
		for i := l.start; i < l.end; i++ {
			allowed[i] = true
		}
	}
}

func spaces(text string, l line) int {
	n := 0
	for l.start+n < l.end && text[l.start+n] == ' ' {
		n++
	}
	return n
}
