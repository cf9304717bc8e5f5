package fhirapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
)

// historyInstance serves GET [base]/[type]/[id]/_history
// (http://hl7.org/fhir/R4/http.html#history).
func (a *API) historyInstance(c echo.Context) error {
	typ, id, err := instance(c)
	if err != nil {
		return err
	}
	return a.history(c, typ, id)
}

// historyType serves GET [base]/[type]/_history.
func (a *API) historyType(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	return a.history(c, typ, "")
}

// historySystem serves GET [base]/_history.
func (a *API) historySystem(c echo.Context) error { return a.history(c, "", "") }

// history answers a history interaction with a Bundle of type history,
// newest version first, paged with _count and a next link. _since and _at
// take FHIR instants (a local time without offset is read as +08:00).
func (a *API) history(c echo.Context, typ, id string) error {
	q := store.HistoryQuery{Type: typ, ID: id, Cursor: c.QueryParam("_cursor")}
	interaction := "history-system"
	switch {
	case id != "":
		interaction = "history-instance"
	case typ != "":
		interaction = "history-type"
	}
	g := a.guard(c)
	if typ != "" {
		if _, err := g.decide(typ, interaction); err != nil {
			return err
		}
	}
	var err error
	if q.Count, err = countParam(c); err != nil {
		return err
	}
	if q.Since, err = instantParam(c, "_since"); err != nil {
		return err
	}
	if q.At, err = instantParam(c, "_at"); err != nil {
		return err
	}
	page, err := a.store.History(c.Request().Context(), q)
	if err != nil {
		return err
	}
	page.Entries = g.filter(page.Entries, interaction)
	if id != "" && len(page.Entries) == 0 && q.Cursor == "" && q.Since.IsZero() && q.At.IsZero() {
		return fhir.Errorf(fhir.KindNotFound, "%s/%s has no history: it does not exist", typ, id)
	}
	self := c.Request().URL
	bundle := map[string]any{
		"resourceType": "Bundle",
		"type":         "history",
		"link":         []any{map[string]any{"relation": "self", "url": a.baseURL() + trimBase(self)}},
	}
	if page.Next != "" {
		next := *self
		qs := next.Query()
		qs.Set("_cursor", page.Next)
		next.RawQuery = qs.Encode()
		bundle["link"] = append(bundle["link"].([]any), map[string]any{"relation": "next", "url": a.baseURL() + trimBase(&next)})
	}
	entries := make([]any, 0, len(page.Entries))
	for _, r := range page.Entries {
		entries = append(entries, a.historyEntry(r))
	}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	return writeValue(c, http.StatusOK, bundle)
}

func (a *API) historyEntry(r *store.Resource) map[string]any {
	full := fmt.Sprintf("%s/%s/%s", a.baseURL(), r.Type, r.ID)
	e := map[string]any{"fullUrl": full}
	method, status := http.MethodPut, "200 OK"
	switch {
	case r.Deleted:
		method, status = http.MethodDelete, "204 No Content"
	case r.Version == 1:
		method, status = http.MethodPost, "201 Created"
	}
	if !r.Deleted {
		e["resource"] = json.RawMessage(r.JSON)
	}
	reqURL := r.Type + "/" + r.ID
	if method == http.MethodPost {
		reqURL = r.Type
	}
	e["request"] = map[string]any{"method": method, "url": reqURL}
	e["response"] = map[string]any{
		"status":       status,
		"etag":         etag(r.Version),
		"lastModified": r.LastUpdated.Format(time.RFC3339Nano),
	}
	return e
}

// trimBase returns the part of u after the /fhir mount, with its query.
func trimBase(u *url.URL) string {
	p := u.Path
	if len(p) >= 5 && p[:5] == "/fhir" {
		p = p[5:]
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// countParam reads _count (0 when absent).
func countParam(c echo.Context) (int, error) {
	s := c.QueryParam("_count")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fhir.Errorf(fhir.KindInvalid, "invalid _count %q: want a non-negative integer", s)
	}
	if n > store.MaxCount {
		n = store.MaxCount
	}
	return n, nil
}

// instantParam reads a FHIR instant or dateTime query parameter. A value
// without a zone offset is read in China Standard Time (+08:00).
func instantParam(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := ParseDateTime(s)
	if err != nil {
		return time.Time{}, fhir.Errorf(fhir.KindInvalid, "invalid %s %q: %v", name, s, err)
	}
	return t, nil
}

// ChinaStandardTime is the zone of local times that carry no offset.
var ChinaStandardTime = time.FixedZone("CST", 8*3600)

// ParseDateTime parses a FHIR dateTime or instant at any precision down to
// the second (2024, 2024-05, 2024-05-01, 2024-05-01T08:30:00[.fff][Z|±hh:mm]);
// a value without an offset is read as +08:00.
func ParseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05",
		"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.ParseInLocation(layout, s, ChinaStandardTime); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a FHIR dateTime")
}
