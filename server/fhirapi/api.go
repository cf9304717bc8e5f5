package fhirapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/model"
	"yigong/fhir/store"
	"yigong/server/auth"
)

// API serves the FHIR REST interactions from a store.
type API struct {
	store       store.Store
	log         *slog.Logger
	baseURL     func() string
	institution string
	matcher     Matcher        // nil: no Patient/$match
	merger      Merger         // nil: no Patient/$merge, $unmerge
	access      *auth.Checker  // nil: no access control
	auditLog    store.AuditLog // nil: AuditEvent is served from the store like any type
}

// Options configure an API.
type Options struct {
	// BaseURL returns the public base of the API ("http://host/fhir"), used
	// for Location headers and Bundle fullUrls.
	BaseURL func() string
	// Institution owns what this API writes until access control assigns
	// each caller its own (the store's partition key).
	Institution string
	Log         *slog.Logger
	// Matcher answers Patient/$match and Merger Patient/$merge and
	// $unmerge (the EMPI service, yigong/server/empi); nil leaves those
	// operations out of the routes and the CapabilityStatement.
	Matcher Matcher
	Merger  Merger
	// Access, when set, is asked about every interaction, returned
	// resource and transaction entry (access.go); requests then carry an
	// auth.Principal (auth.Middleware). Nil allows everything.
	Access *auth.Checker
	// AuditLog, when set, serves AuditEvent read and search from the
	// hub's audit trail (read-only; audit.go).
	AuditLog store.AuditLog
}

// New returns an API over st.
func New(st store.Store, opts Options) (*API, error) {
	if st == nil || opts.BaseURL == nil || opts.Log == nil || opts.Institution == "" {
		return nil, errors.New("fhirapi: store, BaseURL, Institution and Log are required")
	}
	return &API{store: st, log: opts.Log, baseURL: opts.BaseURL, institution: opts.Institution,
		matcher: opts.Matcher, merger: opts.Merger, access: opts.Access, auditLog: opts.AuditLog}, nil
}

// Interaction is one registered route, as the CapabilityStatement declares it.
type Interaction struct {
	Code   string // restful-interaction code: read, vread, update, delete, history-instance, ...
	Level  string // "instance", "type" or "system"
	Method string
	Path   string
}

// Interactions lists what Register registers, for the CapabilityStatement.
func (a *API) Interactions() []Interaction {
	return []Interaction{
		{"read", "instance", http.MethodGet, "/:type/:id"},
		{"vread", "instance", http.MethodGet, "/:type/:id/_history/:vid"},
		{"update", "instance", http.MethodPut, "/:type/:id"},
		{"delete", "instance", http.MethodDelete, "/:type/:id"},
		{"history-instance", "instance", http.MethodGet, "/:type/:id/_history"},
		{"create", "type", http.MethodPost, "/:type"},
		{"history-type", "type", http.MethodGet, "/:type/_history"},
		{"history-system", "system", http.MethodGet, "/_history"},
		{"patch", "instance", http.MethodPatch, "/:type/:id"},
		{"transaction", "system", http.MethodPost, ""},
		{"batch", "system", http.MethodPost, ""},
	}
}

// conditionalRoutes are the conditional variants of update, patch and
// delete ([type]?criteria); the CapabilityStatement declares them through
// conditionalUpdate, conditionalDelete and the patch interaction.
func (a *API) conditionalRoutes() []Interaction {
	return []Interaction{
		{"update", "type", http.MethodPut, "/:type"},
		{"patch", "type", http.MethodPatch, "/:type"},
		{"delete", "type", http.MethodDelete, "/:type"},
	}
}

// AllInteractions lists every registered route: the core interactions and
// the search interactions.
func (a *API) AllInteractions() []Interaction {
	return append(a.Interactions(), a.searchInteractions()...)
}

// Register adds the interactions to g (the group mounted at /fhir).
func (a *API) Register(g *echo.Group) {
	handlers := map[string]echo.HandlerFunc{
		"read": a.read, "vread": a.vread, "update": a.update, "delete": a.delete,
		"history-instance": a.historyInstance, "create": a.create,
		"history-type": a.historyType, "history-system": a.historySystem,
		"patch": a.patch, "transaction": a.transaction, "batch": a.transaction,
	}
	registered := map[string]bool{}
	for _, in := range a.Interactions() {
		key := in.Method + " " + in.Path
		if registered[key] { // transaction and batch share POST [base]
			continue
		}
		registered[key] = true
		g.Add(in.Method, in.Path, handlers[in.Code], a.checkFormat)
	}
	conditional := map[string]echo.HandlerFunc{"update": a.conditionalUpdate, "patch": a.patch, "delete": a.conditionalDelete}
	for _, in := range a.conditionalRoutes() {
		g.Add(in.Method, in.Path, conditional[in.Code], a.checkFormat)
	}
	a.registerSearch(g)
	a.registerOperations(g)
}

// checkFormat rejects requests for formats other than JSON before any work.
func (a *API) checkFormat(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := negotiate(c); err != nil {
			return err
		}
		return next(c)
	}
}

// resourceType returns the :type path parameter if it names a concrete R4
// resource type.
func resourceType(c echo.Context) (string, error) {
	t := c.Param("type")
	if !model.IsResourceType(t) {
		return "", statusError(http.StatusNotFound, "not-supported", fmt.Sprintf("unknown resource type %q", t))
	}
	if mt := model.LookupType(t); mt == nil || mt.Abstract {
		return "", statusError(http.StatusNotFound, "not-supported", fmt.Sprintf("%s is abstract; use a concrete resource type", t))
	}
	return t, nil
}

// instance returns the :type and :id path parameters of an instance-level
// interaction, each checked.
func instance(c echo.Context) (typ, id string, err error) {
	if typ, err = resourceType(c); err != nil {
		return "", "", err
	}
	if id, err = resourceID(c); err != nil {
		return "", "", err
	}
	return typ, id, nil
}

// resourceID returns the :id path parameter if it is a valid FHIR id.
func resourceID(c echo.Context) (string, error) {
	id := c.Param("id")
	if !validID(id) {
		return "", fhir.Errorf(fhir.KindInvalid, "invalid resource id %q: 1-64 of A-Z a-z 0-9 - .", id)
	}
	return id, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
			return false
		}
	}
	return true
}

// prefer holds the Prefer header's return and handling preferences
// (http://hl7.org/fhir/R4/http.html#ops, #search).
type prefer struct {
	ret     string // minimal, representation (default), OperationOutcome
	lenient bool   // handling=lenient
}

func parsePrefer(c echo.Context) prefer {
	p := prefer{ret: "representation"}
	for _, h := range c.Request().Header.Values("Prefer") {
		for _, part := range strings.Split(h, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "return":
				switch v {
				case "minimal", "representation", "OperationOutcome":
					p.ret = v
				}
			case "handling":
				p.lenient = v == "lenient"
			}
		}
	}
	return p
}

// decodeResource reads and decodes the body as a resource of type typ.
// Unknown elements are an error unless Prefer: handling=lenient, when they
// are dropped and reported as warnings.
func decodeResource(c echo.Context, typ string, p prefer) (*fhir.Node, []fhir.Issue, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, nil, err
	}
	opts := fhirjson.UnmarshalOptions{ResourceType: typ, Lenient: p.lenient}
	n, warnings, err := opts.UnmarshalWarnings(body)
	if err != nil {
		return nil, nil, err
	}
	if p.lenient {
		dropUnknown(n)
	}
	return n, warnings, nil
}

// dropUnknown removes the unknown elements a lenient decode kept: they are
// reported back as warnings, never stored.
func dropUnknown(n *fhir.Node) {
	kept := n.Children[:0]
	for _, ch := range n.Children {
		if ch.Def == nil && ch.Type == "" {
			continue
		}
		dropUnknown(ch)
		kept = append(kept, ch)
	}
	n.Children = kept
}

// location is the versioned URL of a resource version.
func (a *API) location(r *store.Resource) string {
	return fmt.Sprintf("%s/%s/%s/_history/%d", a.baseURL(), r.Type, r.ID, r.Version)
}

// respond writes the answer to a write interaction according to Prefer return.
func (a *API) respond(c echo.Context, status int, r *store.Resource, p prefer, warnings []fhir.Issue) error {
	setVersionHeaders(c, r)
	if status == http.StatusCreated || status == http.StatusOK {
		c.Response().Header().Set(echo.HeaderLocation, a.location(r))
	}
	switch p.ret {
	case "minimal":
		return c.NoContent(status)
	case "OperationOutcome":
		issues := append([]fhir.Issue{{Severity: fhir.SeverityInformation, Code: "informational",
			Diagnostic: fmt.Sprintf("%s/%s version %d stored", r.Type, r.ID, r.Version)}}, warnings...)
		return writeValue(c, status, OperationOutcome(issues))
	}
	if r.Deleted {
		return c.NoContent(status)
	}
	return writeJSON(c, status, r.JSON)
}

// HandleError renders err as an OperationOutcome with its status, logging
// internal errors with their cause.
func HandleError(c echo.Context, err error, log *slog.Logger) {
	status, issues, internal := ErrorResponse(err)
	if internal {
		log.Error("fhir request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	_ = writeValue(c, status, OperationOutcome(issues))
}
