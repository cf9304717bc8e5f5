package fhirapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
)

// registerAudit serves the hub's audit trail (package server/audit, kept in
// store.AuditLog, not as FHIR resources) as read-only AuditEvent read and
// search, to the audit administrator only (auth.Checker.Decide). The id of
// an AuditEvent is its sequence number in the hash chain. Writes to
// AuditEvent fall through to the generic routes, where Decide refuses them
// for everyone. Search takes _count and _cursor (the last sequence number
// of the previous page); entries come in the order they were recorded. The
// read and search handlers hand AuditEvent here (served reports whether).
func (a *API) servedAudit(typ string) bool { return typ == "AuditEvent" && a.auditLog != nil }

// auditResource returns an entry's AuditEvent with its id.
func auditResource(e store.AuditEntry) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(e.Event, &m) != nil {
		return e.Event
	}
	m["id"], _ = json.Marshal(strconv.FormatInt(e.Seq, 10))
	out, err := json.Marshal(m)
	if err != nil {
		return e.Event
	}
	return out
}

func (a *API) auditRead(c echo.Context) error {
	if _, err := a.guard(c).decide("AuditEvent", "read"); err != nil {
		return err
	}
	seq, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || seq < 1 {
		return fhir.Errorf(fhir.KindNotFound, "AuditEvent/%s: not found", c.Param("id"))
	}
	es, err := a.auditLog.ScanAudit(c.Request().Context(), seq-1, 1)
	if err != nil {
		return err
	}
	if len(es) == 0 || es[0].Seq != seq {
		return fhir.Errorf(fhir.KindNotFound, "AuditEvent/%d: not found (or purged by retention)", seq)
	}
	return writeJSON(c, http.StatusOK, auditResource(es[0]))
}

func (a *API) auditSearch(c echo.Context) error {
	if _, err := a.guard(c).decide("AuditEvent", "search-type"); err != nil {
		return err
	}
	q, err := searchQuery(c)
	if err != nil {
		return err
	}
	count := store.DefaultCount
	if s := q.Get("_count"); s != "" {
		if count, err = strconv.Atoi(s); err != nil || count < 1 {
			return invalidParam("_count", "%q: want a positive integer", s)
		}
		count = min(count, store.MaxCount)
	}
	var after int64
	if s := q.Get("_cursor"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return invalidParam("_cursor", "%q: want the last sequence number of the previous page", s)
		}
	}
	es, err := a.auditLog.ScanAudit(c.Request().Context(), after, count+1)
	if err != nil {
		return err
	}
	more := len(es) > count
	if more {
		es = es[:count]
	}
	self := url.Values{"_count": {strconv.Itoa(count)}}
	if after > 0 {
		self.Set("_cursor", strconv.FormatInt(after, 10))
	}
	links := []any{map[string]any{"relation": "self", "url": a.baseURL() + "/AuditEvent?" + self.Encode()}}
	if more {
		next := url.Values{"_count": {strconv.Itoa(count)}, "_cursor": {strconv.FormatInt(es[len(es)-1].Seq, 10)}}
		links = append(links, map[string]any{"relation": "next", "url": a.baseURL() + "/AuditEvent?" + next.Encode()})
	}
	entries := make([]any, 0, len(es))
	for _, e := range es {
		entries = append(entries, map[string]any{"fullUrl": fmt.Sprintf("%s/AuditEvent/%d", a.baseURL(), e.Seq),
			"resource": auditResource(e), "search": map[string]any{"mode": "match"}})
	}
	b := map[string]any{"resourceType": "Bundle", "type": "searchset", "link": links}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return writeValue(c, http.StatusOK, b)
}
