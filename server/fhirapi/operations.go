package fhirapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/terminology"
	"yigong/fhir/validate"
)

// Operation is one registered FHIR operation
// (http://hl7.org/fhir/R4/operations.html), as the CapabilityStatement
// declares it.
type Operation struct {
	Name       string   // "everything", without the $
	Definition string   // canonical URL of the OperationDefinition
	Level      string   // "system", "type" or "instance"
	Types      []string // resource types it applies to; nil = every type
	Methods    []string // HTTP methods
	Path       string   // echo route
}

// operations holds what the operation handlers share: the terminology
// service (loaded on first use) and the validator.
type operations struct {
	api   *API
	terms *terminology.Service
	valid *validate.Validator
}

const opDef = "http://hl7.org/fhir/OperationDefinition/"

var getPost = []string{http.MethodGet, http.MethodPost}

// Operations lists the operations registerOperations adds, one entry per
// route, for the CapabilityStatement.
func (a *API) Operations() []Operation {
	post := []string{http.MethodPost}
	return append([]Operation{
		{"everything", opDef + "Patient-everything", "instance", []string{"Patient"}, getPost, "/:type/:id/$everything"},
		{"everything", opDef + "Encounter-everything", "instance", []string{"Encounter"}, getPost, "/:type/:id/$everything"},
		{"validate", opDef + "Resource-validate", "type", nil, post, "/:type/$validate"},
		{"validate", opDef + "Resource-validate", "instance", nil, post, "/:type/:id/$validate"},
		{"meta", opDef + "Resource-meta", "system", nil, getPost, "/$meta"},
		{"meta", opDef + "Resource-meta", "type", nil, getPost, "/:type/$meta"},
		{"meta", opDef + "Resource-meta", "instance", nil, getPost, "/:type/:id/$meta"},
		{"meta-add", opDef + "Resource-meta-add", "instance", nil, post, "/:type/:id/$meta-add"},
		{"meta-delete", opDef + "Resource-meta-delete", "instance", nil, post, "/:type/:id/$meta-delete"},
		{"expand", opDef + "ValueSet-expand", "type", []string{"ValueSet"}, getPost, "/:type/$expand"},
		{"expand", opDef + "ValueSet-expand", "instance", []string{"ValueSet"}, getPost, "/:type/:id/$expand"},
		{"lookup", opDef + "CodeSystem-lookup", "type", []string{"CodeSystem"}, getPost, "/:type/$lookup"},
		{"validate-code", opDef + "ValueSet-validate-code", "type", []string{"ValueSet"}, getPost, "/:type/$validate-code"},
		{"validate-code", opDef + "ValueSet-validate-code", "instance", []string{"ValueSet"}, getPost, "/:type/:id/$validate-code"},
		{"validate-code", opDef + "CodeSystem-validate-code", "type", []string{"CodeSystem"}, getPost, "/:type/$validate-code"},
		{"subsumes", opDef + "CodeSystem-subsumes", "type", []string{"CodeSystem"}, getPost, "/:type/$subsumes"},
	}, a.empiOperations()...)
}

// registerOperations adds the operation routes. Several operations share a
// route shape (/:type/$validate-code serves ValueSet and CodeSystem); the
// handler of each route dispatches on the type.
func (a *API) registerOperations(g *echo.Group) {
	ops := &operations{api: a, terms: terminology.New(), valid: validate.New()}
	handlers := map[string]echo.HandlerFunc{
		"/:type/:id/$everything":    ops.everything,
		"/:type/$validate":          ops.validateResource,
		"/:type/:id/$validate":      ops.validateResource,
		"/$meta":                    ops.meta,
		"/:type/$meta":              ops.meta,
		"/:type/:id/$meta":          ops.meta,
		"/:type/:id/$meta-add":      ops.metaAdd,
		"/:type/:id/$meta-delete":   ops.metaDelete,
		"/:type/$expand":            ops.expand,
		"/:type/:id/$expand":        ops.expand,
		"/:type/$lookup":            ops.lookup,
		"/:type/$validate-code":     ops.validateCode,
		"/:type/:id/$validate-code": ops.validateCode,
		"/:type/$subsumes":          ops.subsumes,
		"/:type/$match":             ops.match,
		"/:type/$merge":             ops.merge,
		"/:type/$unmerge":           ops.unmerge,
	}
	done := map[string]bool{}
	for _, op := range a.Operations() {
		for _, m := range op.Methods {
			if key := m + " " + op.Path; !done[key] {
				done[key] = true
				g.Add(m, op.Path, handlers[op.Path], a.checkFormat, a.opGate(op.Path))
			}
		}
	}
}

// DeclareOperations adds the operation entries to the rest component of a
// CapabilityStatement being built as a map: each rest.resource[] map (by
// its "type") gets the operations that apply to its type, and rest gets
// the system-level ones.
func (a *API) DeclareOperations(rest map[string]any) {
	entry := func(op Operation) map[string]any {
		return map[string]any{"name": op.Name, "definition": op.Definition}
	}
	var system []any
	seen := map[string]bool{}
	for _, op := range a.Operations() {
		if op.Level == "system" && !seen["|"+op.Definition] {
			seen["|"+op.Definition] = true
			system = append(system, entry(op))
		}
	}
	if len(system) > 0 {
		rest["operation"] = system
	}
	resources, _ := rest["resource"].([]any)
	for _, r := range resources {
		res, ok := r.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := res["type"].(string)
		var list []any
		for _, op := range a.Operations() {
			if op.Level == "system" || op.Types != nil && !contains(op.Types, typ) || seen[typ+"|"+op.Definition] {
				continue
			}
			seen[typ+"|"+op.Definition] = true
			list = append(list, entry(op))
		}
		if len(list) > 0 {
			res["operation"] = list
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// onlyType fails unless the :type path parameter is one of types.
func onlyType(c echo.Context, op string, types ...string) (string, error) {
	t := c.Param("type")
	if !contains(types, t) {
		return "", statusError(http.StatusNotFound, "not-supported",
			fmt.Sprintf("$%s is defined on %s, not on %q", op, strings.Join(types, " and "), t))
	}
	return t, nil
}

// ---- operation parameters ----

// param is one parameter of an operation: from the query string (Value
// only), or from a Parameters resource in the body.
type param struct {
	Name     string
	Value    string          // primitive value as text
	Type     string          // the value[x] type ("string", "Coding"...); "" from a query
	Complex  json.RawMessage // a complex value (Coding, CodeableConcept, Meta)
	Resource json.RawMessage
}

// opParams are the parameters of one operation call.
type opParams []param

// readParams returns the query parameters and, for POST with a body, the
// parameters of the Parameters resource it holds. A body that is another
// resource is returned as one parameter named "resource" when bare is set
// (as $validate allows), else it is an error.
func readParams(c echo.Context, bare bool) (opParams, error) {
	var ps opParams
	for k, vs := range c.QueryParams() {
		if strings.HasPrefix(k, "_format") || k == "_pretty" {
			continue
		}
		for _, v := range vs {
			ps = append(ps, param{Name: k, Value: v})
		}
	}
	if c.Request().Method != http.MethodPost || c.Request().ContentLength == 0 {
		return ps, nil
	}
	body, err := readBody(c)
	if err != nil {
		if he, ok := err.(*httpError); ok && he.issue.Code == "required" {
			return ps, nil // POST without a body: the query is all
		}
		return nil, err
	}
	var head struct {
		ResourceType string `json:"resourceType"`
		Parameter    []map[string]json.RawMessage
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, invalidParam("", "the body is not a FHIR resource: %v", err)
	}
	if head.ResourceType != "Parameters" {
		if bare && head.ResourceType != "" {
			return append(ps, param{Name: "resource", Resource: body}), nil
		}
		return nil, invalidParam("", "the body must be a Parameters resource, not %q", head.ResourceType)
	}
	for i, raw := range head.Parameter {
		var p param
		if err := json.Unmarshal(raw["name"], &p.Name); err != nil || p.Name == "" {
			return nil, invalidParam(fmt.Sprintf("Parameters.parameter[%d].name", i), "a parameter needs a name")
		}
		for k, v := range raw {
			switch {
			case k == "resource":
				p.Resource = v
			case strings.HasPrefix(k, "value") && len(k) > 5:
				p.Type = strings.ToLower(k[5:6]) + k[6:]
				var s any
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, invalidParam(p.Name, "%v", err)
				}
				switch x := s.(type) {
				case string:
					p.Value = x
				case bool:
					p.Value = strconv.FormatBool(x)
				case float64:
					p.Value = strings.TrimSpace(string(v))
				default:
					p.Complex = v
				}
				if p.Type != "" && p.Type[0] >= 'A' && p.Type[0] <= 'Z' {
					p.Complex = v
				}
			}
		}
		// Complex type names keep their capital: valueCoding -> "Coding".
		for k := range raw {
			if strings.HasPrefix(k, "value") && len(k) > 5 && k[5] >= 'A' && k[5] <= 'Z' {
				p.Type = k[5:]
			}
		}
		ps = append(ps, p)
	}
	if _, ok := ps.get("resource"); bare && !ok {
		// A Parameters without "resource" is itself the resource
		// (POST Parameters/$validate with a bare Parameters).
		ps = append(ps, param{Name: "resource", Resource: body})
	}
	return ps, nil
}

func invalidParam(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if name != "" {
		msg = name + ": " + msg
	}
	return &fhir.Error{Kind: fhir.KindInvalid, Msg: msg,
		Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invalid", Diagnostic: msg, Expression: name}}}
}

func (ps opParams) get(name string) (param, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return param{}, false
}

// str returns a primitive parameter's value ("" when absent).
func (ps opParams) str(name string) string {
	p, _ := ps.get(name)
	return p.Value
}

// boolean returns a boolean parameter (false when absent).
func (ps opParams) boolean(name string) (bool, error) {
	v := ps.str(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalidParam(name, "%q is not a boolean", v)
	}
	return b, nil
}

// integer returns a non-negative integer parameter (def when absent).
func (ps opParams) integer(name string, def int) (int, error) {
	v := ps.str(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalidParam(name, "%q is not a non-negative integer", v)
	}
	return n, nil
}

type jsonCoding struct {
	System  string `json:"system"`
	Version string `json:"version"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

// coding returns a Coding parameter (nil when absent).
func (ps opParams) coding(name string) (*terminology.Coding, error) {
	p, ok := ps.get(name)
	if !ok {
		return nil, nil
	}
	if p.Complex == nil {
		return nil, invalidParam(name, "a Coding is required (valueCoding in a Parameters body)")
	}
	var c jsonCoding
	if err := json.Unmarshal(p.Complex, &c); err != nil {
		return nil, invalidParam(name, "not a Coding: %v", err)
	}
	return &terminology.Coding{System: c.System, Version: c.Version, Code: c.Code, Display: c.Display}, nil
}

// codeableConcept returns the codings of a CodeableConcept parameter.
func (ps opParams) codeableConcept(name string) ([]terminology.Coding, bool, error) {
	p, ok := ps.get(name)
	if !ok {
		return nil, false, nil
	}
	var cc struct {
		Coding []jsonCoding `json:"coding"`
	}
	if p.Complex == nil || json.Unmarshal(p.Complex, &cc) != nil {
		return nil, true, invalidParam(name, "a CodeableConcept is required (valueCodeableConcept in a Parameters body)")
	}
	out := make([]terminology.Coding, 0, len(cc.Coding))
	for _, c := range cc.Coding {
		out = append(out, terminology.Coding{System: c.System, Version: c.Version, Code: c.Code, Display: c.Display})
	}
	return out, true, nil
}

// ---- answers ----

// parameters builds a Parameters resource.
type parameters struct{ list []any }

func (p *parameters) add(name, typ string, value any) {
	p.list = append(p.list, map[string]any{"name": name, "value" + typ: value})
}

func (p *parameters) part(name string, parts *parameters) {
	p.list = append(p.list, map[string]any{"name": name, "part": parts.list})
}

func (p *parameters) resource() map[string]any {
	out := map[string]any{"resourceType": "Parameters"}
	if len(p.list) > 0 {
		out["parameter"] = p.list
	}
	return out
}

// writeNode writes a resource built by a fhir package as a node tree.
func writeNode(c echo.Context, status int, n *fhir.Node, marshal func(*fhir.Node) ([]byte, error)) error {
	b, err := marshal(n)
	if err != nil {
		return fmt.Errorf("fhirapi: encode answer: %w", err)
	}
	return writeJSON(c, status, bytes.TrimSpace(b))
}
