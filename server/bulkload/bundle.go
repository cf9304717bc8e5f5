package bulkload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

// peekTop reads the top-level "resourceType" and "type" members of a JSON
// object without decoding the rest (entries are skipped bytewise), so that a
// transaction Bundle can be sent on as it is.
func peekTop(data []byte) (resourceType, bundleType string, err error) {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return "", "", fmt.Errorf("bulkload: not a JSON object")
	}
	i++
	for {
		i = skipWS(data, i)
		if i < len(data) && data[i] == '}' {
			return resourceType, bundleType, nil
		}
		kStart := i
		if i, err = skipValue(data, i); err != nil {
			return "", "", err
		}
		key := data[kStart:i]
		i = skipWS(data, i)
		if i >= len(data) || data[i] != ':' {
			return "", "", fmt.Errorf("bulkload: JSON syntax error at offset %d", i)
		}
		i = skipWS(data, i+1)
		vStart := i
		if i, err = skipValue(data, i); err != nil {
			return "", "", err
		}
		switch string(key) {
		case `"resourceType"`:
			resourceType, _ = strconv.Unquote(string(data[vStart:i]))
		case `"type"`:
			bundleType, _ = strconv.Unquote(string(data[vStart:i]))
		}
		if resourceType != "" && bundleType != "" {
			return resourceType, bundleType, nil
		}
		i = skipWS(data, i)
		if i < len(data) && data[i] == ',' {
			i++
		}
	}
}

func skipWS(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
		i++
	}
	return i
}

// skipValue returns the offset just past the JSON value starting at i. It
// checks nesting and strings, not the full grammar: the real decoder (the
// server's or the store sink's) judges the content.
func skipValue(data []byte, i int) (int, error) {
	depth := 0
	for i < len(data) {
		c := data[i]
		if depth == 0 && (c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
			return i, nil // the end of a scalar
		}
		switch c {
		case '"':
			i++
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(data) {
				return 0, fmt.Errorf("bulkload: unterminated JSON string")
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default:
			i++
			continue
		}
		if depth == 0 {
			return i, nil
		}
	}
	if depth != 0 {
		return 0, fmt.Errorf("bulkload: truncated JSON")
	}
	return i, nil
}

// txBuilder builds a transaction Bundle's JSON entry by entry.
type txBuilder struct {
	buf     bytes.Buffer
	entries int
	types   []string
	where   []string
}

func (b *txBuilder) reset() {
	b.buf.Reset()
	b.entries = 0
	b.types = nil
	b.where = nil
}

// add appends res as a create (PUT Type/id when it has an id, else POST),
// labelled where for error reports.
func (b *txBuilder) add(res *fhir.Node, fullURL, where string) error {
	js, err := fhirjson.Marshal(res)
	if err != nil {
		return fmt.Errorf("bulkload: %s: encode: %w", where, err)
	}
	if b.entries == 0 {
		b.buf.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	} else {
		b.buf.WriteByte(',')
	}
	b.buf.WriteByte('{')
	if fullURL != "" {
		b.buf.WriteString(`"fullUrl":`)
		writeJSONString(&b.buf, fullURL)
		b.buf.WriteByte(',')
	}
	b.buf.WriteString(`"resource":`)
	b.buf.Write(js)
	if id := res.ID(); id != "" {
		b.buf.WriteString(`,"request":{"method":"PUT","url":`)
		writeJSONString(&b.buf, res.Type+"/"+id)
	} else {
		b.buf.WriteString(`,"request":{"method":"POST","url":`)
		writeJSONString(&b.buf, res.Type)
	}
	b.buf.WriteString(`}}`)
	b.entries++
	b.types = append(b.types, res.Type)
	b.where = append(b.where, where)
	return nil
}

// bytes returns the finished Bundle (a copy; the builder may be reused).
func (b *txBuilder) bytes() []byte {
	out := make([]byte, 0, b.buf.Len()+2)
	out = append(out, b.buf.Bytes()...)
	return append(out, "]}"...)
}

// asBatch returns a transaction Bundle's JSON rewritten as a batch.
func asBatch(tx []byte) []byte {
	return bytes.Replace(tx, []byte(`"type":"transaction"`), []byte(`"type":"batch"`), 1)
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}
