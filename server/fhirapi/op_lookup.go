package fhirapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
)

// lookup serves GET|POST [base]/CodeSystem/$lookup
// (http://hl7.org/fhir/R4/codesystem-operation-lookup.html): system and
// code (or coding), optional version and property (the properties to
// return; all when absent). The answer holds name, version, display,
// definition, the designations, and as properties the concept's own
// (status, notSelectable...), parent and child (codes), and inactive.
func (o *operations) lookup(c echo.Context) error {
	if _, err := onlyType(c, "lookup", "CodeSystem"); err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	system, version, code := ps.str("system"), ps.str("version"), ps.str("code")
	cd, err := ps.coding("coding")
	if err != nil {
		return err
	}
	if cd != nil {
		system, code = cd.System, cd.Code
		if cd.Version != "" {
			version = cd.Version
		}
	}
	switch {
	case code == "":
		return invalidParam("code", "code (with system) or coding is required")
	case system == "":
		return invalidParam("system", "system is required with code")
	}
	concept, err := o.terms.Lookup(c.Request().Context(), system, version, code)
	if err != nil {
		return withExpression(err, "code")
	}
	want := map[string]bool{}
	for _, p := range ps {
		if p.Name == "property" {
			want[p.Value] = true
		}
	}
	wanted := func(code string) bool { return len(want) == 0 || want[code] }
	var out parameters
	out.add("name", "String", concept.Name)
	if concept.Version != "" {
		out.add("version", "String", concept.Version)
	}
	if concept.Display != "" {
		out.add("display", "String", concept.Display)
	}
	if concept.Definition != "" && wanted("definition") {
		out.add("definition", "String", concept.Definition)
	}
	if wanted("designation") {
		for _, d := range concept.Designations {
			var parts parameters
			if d.Language != "" {
				parts.add("language", "Code", d.Language)
			}
			if d.Use != nil {
				parts.add("use", "Coding", codingJSON(*d.Use))
			}
			parts.add("value", "String", d.Value)
			out.part("designation", &parts)
		}
	}
	property := func(code, typ string, value any) {
		if !wanted(code) {
			return
		}
		var parts parameters
		parts.add("code", "Code", code)
		parts.add("value", typ, value)
		out.part("property", &parts)
	}
	for _, p := range concept.Properties {
		switch p.Type {
		case "Coding":
			property(p.Code, "Coding", codingJSON(*p.Coding))
		case "boolean":
			property(p.Code, "Boolean", p.Value == "true")
		default:
			property(p.Code, upperFirst(p.Type), p.Value)
		}
	}
	for _, parent := range concept.Parents {
		property("parent", "Code", parent)
	}
	for _, child := range concept.Children {
		property("child", "Code", child)
	}
	property("inactive", "Boolean", concept.Inactive)
	return writeValue(c, http.StatusOK, out.resource())
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// withExpression sets the location of a terminology error's issues to the
// parameter it is about.
func withExpression(err error, param string) error {
	issues := fhir.IssuesOf(err)
	for i := range issues {
		if issues[i].Expression == "" {
			issues[i].Expression = param
		}
	}
	return &fhir.Error{Kind: fhir.KindOf(err), Msg: err.Error(), Issues: issues, Err: err}
}
