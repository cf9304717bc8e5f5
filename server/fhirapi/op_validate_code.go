package fhirapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir/terminology"
)

// validateCode serves GET|POST [base]/ValueSet/$validate-code,
// [base]/ValueSet/[id]/$validate-code
// (http://hl7.org/fhir/R4/valueset-operation-validate-code.html) and
// [base]/CodeSystem/$validate-code
// (http://hl7.org/fhir/R4/codesystem-operation-validate-code.html).
// The code is given as code with system (ValueSet) or url (CodeSystem),
// optional version and display, as a coding, or as a codeableConcept (valid
// when one of its codings is). The answer is Parameters with result,
// message (when false) and display. A wrong display makes the result false.
// A code whose membership cannot be decided (the value set draws from a
// code system the server does not hold) is answered "not-supported", not
// false.
func (o *operations) validateCode(c echo.Context) error {
	typ, err := onlyType(c, "validate-code", "ValueSet", "CodeSystem")
	if err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	codings, field, err := codingsParam(ps, typ)
	if err != nil {
		return err
	}
	var v *terminology.Validation
	if typ == "CodeSystem" {
		system := ps.str("url")
		if system == "" {
			system = ps.str("system")
		}
		if system == "" && len(codings) > 0 {
			system = codings[0].System
		}
		if system == "" {
			return invalidParam("url", "the code system is required (url)")
		}
		if v, err = o.terms.ValidateCodeInSystem(ctx, system, ps.str("version"), codings); err != nil {
			return withExpression(err, "url")
		}
	} else {
		vs, err := o.valueSet(ctx, c.Param("id"), ps)
		if err != nil {
			return err
		}
		if v, err = o.terms.ValidateCode(ctx, vs, codings); err != nil {
			return withExpression(err, field)
		}
	}
	var out parameters
	out.add("result", "Boolean", v.Result)
	if v.Message != "" {
		out.add("message", "String", v.Message)
	}
	if v.Display != "" {
		out.add("display", "String", v.Display)
	}
	return writeValue(c, http.StatusOK, out.resource())
}

// codingsParam reads the code to validate: code (+ system, version,
// display), coding, or codeableConcept, and names the parameter used.
func codingsParam(ps opParams, typ string) ([]terminology.Coding, string, error) {
	if cc, ok, err := ps.codeableConcept("codeableConcept"); ok || err != nil {
		if err == nil && len(cc) == 0 {
			err = invalidParam("codeableConcept", "the CodeableConcept has no coding")
		}
		return cc, "codeableConcept", err
	}
	cd, err := ps.coding("coding")
	if err != nil {
		return nil, "coding", err
	}
	if cd != nil {
		if cd.Code == "" {
			return nil, "coding", invalidParam("coding", "the Coding has no code")
		}
		return []terminology.Coding{*cd}, "coding", nil
	}
	code := ps.str("code")
	if code == "" {
		return nil, "code", invalidParam("code", "code, coding or codeableConcept is required")
	}
	system := ps.str("system")
	if typ == "CodeSystem" {
		system = "" // the code system is the url parameter
	}
	return []terminology.Coding{{System: system, Version: ps.str("systemVersion"), Code: code, Display: ps.str("display")}}, "code", nil
}
