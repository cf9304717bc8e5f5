package fhirapi

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/store"
	"yigong/fhir/validate"
)

// validateResource serves POST [base]/[type]/$validate and
// [base]/[type]/[id]/$validate
// (http://hl7.org/fhir/R4/resource-operation-validate.html). The body is a
// Parameters resource with "resource" and optional "profile" and "mode",
// or the bare resource. The answer is an OperationOutcome with HTTP 200
// whether or not the resource is valid, as the operation defines; each
// issue carries its FHIRPath location. A resource the strict JSON decoder
// rejects (an unknown element, a malformed value) is reported the same way.
// Profiles the resource declares in meta.profile are checked too when they
// are known; an unknown one is a warning. At the instance level without a
// resource, the stored resource is validated; mode=delete is not checked
// (no rules forbid deleting) and answers "All OK".
func (o *operations) validateResource(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	ps, err := readParams(c, true)
	if err != nil {
		return err
	}
	mode := ps.str("mode")
	switch mode {
	case "", "create", "update", "delete", "profile":
	default:
		return invalidParam("mode", "%q is not a validation mode (create, update, delete, profile)", mode)
	}
	ctx := c.Request().Context()
	p, _ := ps.get("resource")
	body := p.Resource
	if id := c.Param("id"); id != "" {
		if _, err := resourceID(c); err != nil {
			return err
		}
		if body == nil || mode == "delete" {
			r, err := o.api.store.Read(ctx, store.Ref{Type: typ, ID: id})
			if err != nil {
				return err
			}
			if mode == "delete" {
				return o.writeOutcome(c, nil)
			}
			body = r.JSON
		}
	}
	if body == nil {
		return invalidParam("resource", "the resource to validate is required (the body, or the parameter \"resource\")")
	}
	var head struct {
		ResourceType string `json:"resourceType"`
		Meta         struct {
			Profile []string `json:"profile"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return invalidParam("resource", "not a resource: %v", err)
	}
	if head.ResourceType != typ {
		return invalidParam("resource", "a %s cannot be validated at %s/$validate", head.ResourceType, typ)
	}
	n, warnings, err := fhirjson.UnmarshalOptions{ResourceType: typ}.UnmarshalWarnings(body)
	if err != nil {
		if fhir.KindOf(err) != fhir.KindInvalid {
			return err
		}
		return o.writeOutcome(c, append(warnings, fhir.IssuesOf(err)...))
	}
	issues := append(warnings, o.valid.Validate(ctx, n)...)
	profiles := head.Meta.Profile
	if pr := ps.str("profile"); pr != "" {
		profiles = append(profiles, pr)
	}
	for i, url := range profiles {
		more, err := o.valid.ValidateProfile(ctx, n, url)
		switch {
		case err == nil:
			issues = append(issues, more...)
		case i == len(profiles)-1 && ps.str("profile") != "":
			return invalidParam("profile", "the profile %s is not known to this server", url)
		default:
			issues = append(issues, fhir.Issue{Severity: fhir.SeverityWarning, Code: "not-supported",
				Expression: typ + ".meta.profile", Diagnostic: "the profile " + url + " is not known to this server; not checked"})
		}
	}
	return o.writeOutcome(c, issues)
}

func (o *operations) writeOutcome(c echo.Context, issues []fhir.Issue) error {
	n, err := validate.OperationOutcome(issues)
	if err != nil {
		return err
	}
	return writeNode(c, http.StatusOK, n, fhirjson.Marshal)
}
