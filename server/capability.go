package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir/model"
	"yigong/fhir/search"
	"yigong/server/fhirapi"
)

// capabilityStatement answers GET /fhir/metadata
// (http://hl7.org/fhir/R4/http.html#capabilities) with a CapabilityStatement
// built from what is actually registered: an interaction appears here only
// once its handler exists, and a test walks the statement and tries each.
func (s *Server) capabilityStatement(c echo.Context) error {
	var typeLevel, system []any
	for _, in := range s.api.AllInteractions() {
		switch in.Level {
		case "instance", "type":
			typeLevel = append(typeLevel, map[string]any{"code": in.Code})
		case "system":
			system = append(system, map[string]any{"code": in.Code})
		}
	}
	var resources []any
	revIncludes := map[string][]string{} // target type -> Source:param
	for _, t := range model.ResourceTypes() {
		for _, sp := range model.SearchParams(t) {
			if sp.Type != "reference" || len(sp.Base) == 0 || sp.Base[0] == "Resource" || sp.Base[0] == "DomainResource" {
				continue
			}
			for _, target := range sp.Target {
				revIncludes[target] = append(revIncludes[target], t+":"+sp.Code)
			}
		}
	}
	for _, t := range model.ResourceTypes() {
		if mt := model.LookupType(t); mt == nil || mt.Abstract {
			continue
		}
		var params []any
		includes := []string{"*"}
		for _, sp := range search.Searchable(t) {
			params = append(params, map[string]any{"name": sp.Code, "definition": sp.URL, "type": sp.Type})
			if sp.Type == "reference" {
				includes = append(includes, t+":"+sp.Code)
			}
		}
		resources = append(resources, map[string]any{
			"searchParam":       params,
			"searchInclude":     includes,
			"searchRevInclude":  revIncludes[t],
			"type":              t,
			"interaction":       typeLevel,
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      true,
			"conditionalCreate": true,
			"conditionalRead":   "not-supported",
			"conditionalUpdate": false,
			"conditionalDelete": "not-supported",
		})
	}
	rest := map[string]any{"mode": "server", "resource": resources}
	// Compartment searches ([base]/Patient/[id]/[type], fhirapi
	// searchCompartment) for the compartments search supports.
	var compartments []string
	for _, c := range search.Compartments() {
		compartments = append(compartments, "http://hl7.org/fhir/CompartmentDefinition/"+strings.ToLower(c))
	}
	rest["compartment"] = compartments
	s.api.DeclareOperations(rest)
	if len(system) > 0 {
		rest["interaction"] = system
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         s.started.Format(time.RFC3339),
		"kind":         "instance",
		"software": map[string]any{
			"name":    "yigong",
			"version": s.info.Version,
		},
		"implementation": map[string]any{
			"description": "yigong interoperability hub of the county medical alliance",
			"url":         s.BaseURL(),
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json", "application/fhir+xml", "xml"},
		"rest":        []any{rest},
	}
	return fhirapi.Respond(c, http.StatusOK, cs)
}
