package fhirapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
)

// MaxMetaScan bounds the resources a system- or type-level $meta reads to
// collect the tags, security labels and profiles in use.
const MaxMetaScan = 100_000

// metaSet is the part of meta the $meta operations handle: tags and
// security labels (identified by system and code) and profiles (by URL).
type metaSet struct {
	Tag      []metaCoding `json:"tag,omitempty"`
	Security []metaCoding `json:"security,omitempty"`
	Profile  []string     `json:"profile,omitempty"`
}

type metaCoding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

func (m *metaSet) add(o metaSet) (changed bool) {
	addCodings := func(list *[]metaCoding, more []metaCoding) {
		for _, c := range more {
			found := false
			for _, x := range *list {
				if x.System == c.System && x.Code == c.Code {
					found = true
					break
				}
			}
			if !found {
				*list = append(*list, c)
				changed = true
			}
		}
	}
	addCodings(&m.Tag, o.Tag)
	addCodings(&m.Security, o.Security)
	for _, p := range o.Profile {
		if !contains(m.Profile, p) {
			m.Profile = append(m.Profile, p)
			changed = true
		}
	}
	return changed
}

func (m *metaSet) remove(o metaSet) (changed bool) {
	drop := func(list []metaCoding, gone []metaCoding) []metaCoding {
		kept := list[:0]
		for _, c := range list {
			hit := false
			for _, g := range gone {
				if g.System == c.System && g.Code == c.Code {
					hit = true
					break
				}
			}
			if hit {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		return kept
	}
	m.Tag = drop(m.Tag, o.Tag)
	m.Security = drop(m.Security, o.Security)
	kept := m.Profile[:0]
	for _, p := range m.Profile {
		if contains(o.Profile, p) {
			changed = true
			continue
		}
		kept = append(kept, p)
	}
	m.Profile = kept
	return changed
}

// meta serves GET|POST [base]/$meta, [base]/[type]/$meta and
// [base]/[type]/[id]/$meta (http://hl7.org/fhir/R4/resource-operation-meta.html):
// the tags, security labels and profiles of one resource, or in use on all
// current resources of a type or of the server. The system and type forms
// read every current resource (at most MaxMetaScan, else "too-costly").
func (o *operations) meta(c echo.Context) error {
	ctx := c.Request().Context()
	var out metaSet
	switch typ, id := c.Param("type"), c.Param("id"); {
	case id != "":
		typ, id, err := instance(c)
		if err != nil {
			return err
		}
		r, err := o.api.store.Read(ctx, store.Ref{Type: typ, ID: id})
		if err != nil {
			return err
		}
		if out, err = metaOf(r.JSON); err != nil {
			return err
		}
	default:
		if typ != "" {
			if _, err := resourceType(c); err != nil {
				return err
			}
		}
		var err error
		if out, err = o.metaInUse(ctx, typ); err != nil {
			return err
		}
	}
	return o.writeMeta(c, out)
}

func (o *operations) metaInUse(ctx context.Context, typ string) (metaSet, error) {
	var out metaSet
	se, ok := o.api.store.(store.Searcher)
	if !ok {
		return out, fhir.Errorf(fhir.KindNotSupported, "fhirapi: $meta: the store cannot list resources")
	}
	q := store.SearchQuery{Type: typ, Count: store.MaxCount}
	for n := 0; ; {
		page, err := se.Search(ctx, q)
		if err != nil {
			return out, err
		}
		for _, r := range page.Entries {
			m, err := metaOf(r.JSON)
			if err != nil {
				return out, err
			}
			out.add(m)
		}
		n += len(page.Entries)
		if page.Next == "" {
			break
		}
		if n >= MaxMetaScan {
			return out, &fhir.Error{Kind: fhir.KindBusy, Msg: "fhirapi: $meta: too many resources",
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "too-costly",
					Diagnostic: fmt.Sprintf("more than %d resources; ask $meta of a type or an instance", MaxMetaScan)}}}
		}
		q.Cursor = page.Next
	}
	sortCodings := func(l []metaCoding) {
		sort.Slice(l, func(i, j int) bool {
			return l[i].System < l[j].System || l[i].System == l[j].System && l[i].Code < l[j].Code
		})
	}
	sortCodings(out.Tag)
	sortCodings(out.Security)
	sort.Strings(out.Profile)
	return out, nil
}

// metaAdd serves POST [base]/[type]/[id]/$meta-add
// (http://hl7.org/fhir/R4/resource-operation-meta-add.html).
func (o *operations) metaAdd(c echo.Context) error {
	return o.changeMeta(c, "meta-add", (*metaSet).add)
}

// metaDelete serves POST [base]/[type]/[id]/$meta-delete
// (http://hl7.org/fhir/R4/resource-operation-meta-delete.html).
func (o *operations) metaDelete(c echo.Context) error {
	return o.changeMeta(c, "meta-delete", (*metaSet).remove)
}

// changeMeta applies a $meta-add or $meta-delete to the current version.
//
// As R4 says, the change is made without a new version when the store can
// (store.MetaRewriter): the current version's body and its index rows
// (_tag, _security, _profile) are rewritten in place in one transaction,
// versionId and lastUpdated unchanged, no history entry and no change in
// the outbox (so subscriptions and the EMPI are not told: meta alone is not
// news to them). The write is conditional on the version read, retried on
// a concurrent write. A store without it gets a new version through
// Store.Update with If-Match (the former behaviour). A call that changes
// nothing writes nothing. Meta of historical versions
// (_history/[vid]/$meta-add) cannot be changed.
func (o *operations) changeMeta(c echo.Context, op string, apply func(*metaSet, metaSet) bool) error {
	typ, id, err := instance(c)
	if err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	p, ok := ps.get("meta")
	if !ok || p.Complex == nil || p.Type != "Meta" {
		return invalidParam("meta", "$%s needs the parameter \"meta\" (valueMeta) in a Parameters body", op)
	}
	var change metaSet
	if err := json.Unmarshal(p.Complex, &change); err != nil {
		return invalidParam("meta", "not a Meta: %v", err)
	}
	ctx := c.Request().Context()
	for attempt := 0; ; attempt++ {
		r, err := o.api.store.Read(ctx, store.Ref{Type: typ, ID: id})
		if err != nil {
			return err
		}
		m, err := metaOf(r.JSON)
		if err != nil {
			return err
		}
		if !apply(&m, change) {
			return o.writeMeta(c, m)
		}
		body, err := withMeta(r.JSON, m)
		if err != nil {
			return err
		}
		if mr, ok := o.api.store.(store.MetaRewriter); ok {
			_, err = mr.RewriteMeta(ctx, r.Ref(), r.Version, body)
		} else {
			_, _, err = o.api.store.Update(ctx, store.Input{Institution: r.Institution, Type: typ, ID: id, JSON: body, IfMatch: r.Version})
		}
		if errors.Is(err, store.ErrPrecondition) && attempt < 3 {
			continue // written meanwhile: apply to the new version
		}
		if err != nil {
			return err
		}
		return o.writeMeta(c, m)
	}
}

func (o *operations) writeMeta(c echo.Context, m metaSet) error {
	var out parameters
	out.add("return", "Meta", m)
	return writeValue(c, http.StatusOK, out.resource())
}

// metaOf reads tags, security labels and profiles from a resource's JSON.
func metaOf(body []byte) (metaSet, error) {
	var r struct {
		Meta metaSet `json:"meta"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return metaSet{}, fmt.Errorf("fhirapi: stored resource: %w", err)
	}
	return r.Meta, nil
}

// withMeta returns body with meta.tag, meta.security and meta.profile
// replaced by m, every other member (and member order) kept.
func withMeta(body []byte, m metaSet) ([]byte, error) {
	type member struct {
		key string
		raw json.RawMessage
	}
	var members []member
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		members = append(members, member{tok.(string), raw})
	}
	meta := map[string]json.RawMessage{}
	at := -1
	for i, mb := range members {
		if mb.key == "meta" {
			at = i
			if err := json.Unmarshal(mb.raw, &meta); err != nil {
				return nil, err
			}
		}
	}
	set := func(k string, v any, empty bool) error {
		if empty {
			delete(meta, k)
			return nil
		}
		b, err := json.Marshal(v)
		meta[k] = b
		return err
	}
	if err := errors.Join(set("tag", m.Tag, len(m.Tag) == 0), set("security", m.Security, len(m.Security) == 0),
		set("profile", m.Profile, len(m.Profile) == 0)); err != nil {
		return nil, err
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	write := func(k string, v []byte) {
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(v)
	}
	for i, mb := range members {
		if i == at {
			write("meta", metaJSON)
			continue
		}
		write(mb.key, mb.raw)
	}
	if at < 0 {
		write("meta", metaJSON)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}
