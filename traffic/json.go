package traffic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MarshalJSON encodes s as a JSON object from deployment name to percent,
// {"blue":90,"green":10}, with keys in name order so the output is stable.
// The empty split encodes as {}, which is what the service expects for "no
// traffic" (it rejects null).
func (s Split) MarshalJSON() ([]byte, error) {
	buf := make([]byte, 0, 2+len(s.es)*16)
	buf = append(buf, '{')
	for i, e := range s.es {
		if i > 0 {
			buf = append(buf, ',')
		}
		name, err := json.Marshal(e.Name)
		if err != nil {
			return nil, err
		}
		buf = append(buf, name...)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(e.Percent), 10)
	}
	return append(buf, '}'), nil
}

// UnmarshalJSON decodes a JSON object from deployment name to integer
// percent, with the checks of [FromEntries]: a key given twice is an error
// rather than silently keeping the last value as encoding/json would. JSON
// null decodes to the empty split. Percents must be JSON integers (10, not
// 10.0 or "10"). On error *s is left unchanged.
func (s *Split) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	var es []Entry
	switch tok {
	case nil:
	case json.Delim('{'):
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jsonError(err)
			}
			name := tok.(string) // object keys are always strings
			tok, err = dec.Token()
			if err != nil {
				return jsonError(err)
			}
			num, ok := tok.(json.Number)
			if !ok {
				return newError(name, 0, "percent must be a JSON integer, not %s", jsonKind(tok))
			}
			percent, err := strconv.Atoi(num.String())
			if err != nil {
				return newError(name, 0, "percent must be an integer between 0 and 100, not %s", num)
			}
			es = append(es, Entry{Name: name, Percent: percent})
		}
		if _, err := dec.Token(); err != nil {
			return jsonError(err)
		}
	default:
		return newError("", 0, "a split must be a JSON object, not %s", jsonKind(tok))
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the split")
		}
		return jsonError(err)
	}
	split, err := FromEntries(es...)
	if err != nil {
		return err
	}
	*s = split
	return nil
}

// jsonError keeps the decoder's own error (for its offset and type) while
// still matching ErrInvalid.
func jsonError(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

func jsonKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	default:
		return "null"
	}
}
