package fhirapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// subsumes serves GET|POST [base]/CodeSystem/$subsumes
// (http://hl7.org/fhir/R4/codesystem-operation-subsumes.html): codeA and
// codeB with system (or codingA and codingB), optional version. The answer
// is Parameters with outcome: equivalent, subsumes (A is an ancestor of
// B), subsumed-by or not-subsumed.
func (o *operations) subsumes(c echo.Context) error {
	if _, err := onlyType(c, "subsumes", "CodeSystem"); err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	system, version := ps.str("system"), ps.str("version")
	codes := [2]string{ps.str("codeA"), ps.str("codeB")}
	for i, name := range []string{"codingA", "codingB"} {
		cd, err := ps.coding(name)
		if err != nil {
			return err
		}
		if cd == nil {
			continue
		}
		codes[i] = cd.Code
		switch {
		case system == "":
			system = cd.System
		case cd.System != "" && cd.System != system:
			return invalidParam(name, "the codings must be of one code system (%s, not %s)", system, cd.System)
		}
	}
	switch {
	case codes[0] == "":
		return invalidParam("codeA", "codeA (or codingA) is required")
	case codes[1] == "":
		return invalidParam("codeB", "codeB (or codingB) is required")
	case system == "":
		return invalidParam("system", "system is required")
	}
	outcome, err := o.terms.Subsumes(c.Request().Context(), system, version, codes[0], codes[1])
	if err != nil {
		return withExpression(err, "system")
	}
	var out parameters
	out.add("outcome", "Code", string(outcome))
	return writeValue(c, http.StatusOK, out.resource())
}
