package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"yigong/fhir/store"
)

// instantLayout renders meta.lastUpdated with microseconds and an offset.
const instantLayout = "2006-01-02T15:04:05.000000Z07:00"

type member struct {
	key string
	raw json.RawMessage
}

// members splits a JSON object into its members, in order.
func members(body []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	var ms []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("duplicate member %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("member %q: %w", key, err)
		}
		ms = append(ms, member{key, raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the resource object")
	}
	return ms, nil
}

// stamp returns body with resourceType, id and meta first and
// meta.versionId and meta.lastUpdated set, and the owning institution as a
// meta.tag (store.InstitutionTagSystem; any tag of that system the caller
// sent is replaced); other members keep their order and bytes. head is
// the length of the part up to the end of meta: out[:head] + "}" is the
// resource with only resourceType, id and meta.
func stamp(body []byte, typ, id, institution string, version int64, lastUpdated time.Time) (out []byte, head int, err error) {
	ms, err := members(body)
	if err != nil {
		return nil, 0, err
	}
	var meta []member
	rt := ""
	for _, m := range ms {
		switch m.key {
		case "resourceType":
			if err := json.Unmarshal(m.raw, &rt); err != nil {
				return nil, 0, fmt.Errorf("resourceType: %w", err)
			}
		case "meta":
			if meta, err = members(m.raw); err != nil {
				return nil, 0, fmt.Errorf("meta: %w", err)
			}
		}
	}
	if rt != typ {
		return nil, 0, fmt.Errorf("resourceType is %q, expected %q", rt, typ)
	}
	out = make([]byte, 0, len(body)+96)
	out = append(out, `{"resourceType":`...)
	out = strconv.AppendQuote(out, typ)
	out = append(out, `,"id":`...)
	out = strconv.AppendQuote(out, id)
	out = append(out, `,"meta":{"versionId":"`...)
	out = strconv.AppendInt(out, version, 10)
	out = append(out, `","lastUpdated":"`...)
	out = lastUpdated.AppendFormat(out, instantLayout)
	out = append(out, '"')
	tagged := false
	for _, m := range meta {
		switch m.key {
		case "versionId", "lastUpdated":
			continue
		case "tag":
			raw, err := withInstitutionTag(m.raw, institution)
			if err != nil {
				return nil, 0, fmt.Errorf("meta.tag: %w", err)
			}
			m.raw, tagged = raw, true
		}
		out = appendMember(out, m)
	}
	if !tagged {
		raw, _ := withInstitutionTag(nil, institution)
		out = appendMember(out, member{"tag", raw})
	}
	out = append(out, '}')
	head = len(out)
	for _, m := range ms {
		switch m.key {
		case "resourceType", "id", "meta":
			continue
		}
		out = appendMember(out, m)
	}
	return append(out, '}'), head, nil
}

func appendMember(out []byte, m member) []byte {
	out = append(out, ',')
	k, _ := json.Marshal(m.key)
	out = append(out, k...)
	out = append(out, ':')
	return append(out, m.raw...)
}

// validID reports whether id is a FHIR id: [A-Za-z0-9\-\.]{1,64}.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// newID returns a server-assigned id: a UUID version 7 (time-ordered, so new
// rows land at the right edge of the B-trees), lower-case with dashes.
func newID(now time.Time) string { return store.NewID(now) }

var institutionSystemBytes = []byte(store.InstitutionTagSystem)

// withInstitutionTag returns the meta.tag array raw (nil: none) without any
// tag of store.InstitutionTagSystem and with the owning institution's.
func withInstitutionTag(raw json.RawMessage, institution string) (json.RawMessage, error) {
	var tags []json.RawMessage
	if raw != nil {
		if err := json.Unmarshal(raw, &tags); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, len(raw)+80)
	out = append(out, '[')
	for _, t := range tags {
		if bytes.Contains(t, institutionSystemBytes) { // only then decode it (every write passes here)
			var c struct {
				System string `json:"system"`
			}
			if err := json.Unmarshal(t, &c); err != nil {
				return nil, err
			}
			if c.System == store.InstitutionTagSystem {
				continue
			}
		}
		out = append(out, t...)
		out = append(out, ',')
	}
	out = append(out, `{"system":`...)
	out = strconv.AppendQuote(out, store.InstitutionTagSystem)
	out = append(out, `,"code":`...)
	k, _ := json.Marshal(institution) // JSON-escaped like every other string
	out = append(out, k...)
	return append(out, "}]"...), nil
}
