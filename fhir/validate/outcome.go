package validate

import (
	"fmt"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

// OperationOutcome builds an OperationOutcome resource from issues. An empty
// list yields the single information issue "All OK", as the specification
// recommends for a successful validation.
func OperationOutcome(issues []fhir.Issue) (*fhir.Node, error) {
	var b []byte
	b = append(b, `{"resourceType":"OperationOutcome","issue":[`...)
	if len(issues) == 0 {
		b = append(b, `{"severity":"information","code":"informational","diagnostics":"All OK"}`...)
	}
	for i, is := range issues {
		if i > 0 {
			b = append(b, ',')
		}
		sev, code := is.Severity, is.Code
		if sev == "" {
			sev = fhir.SeverityError
		}
		if code == "" {
			code = "invalid"
		}
		b = append(b, `{"severity":`...)
		b = appendJSONString(b, string(sev))
		b = append(b, `,"code":`...)
		b = appendJSONString(b, code)
		diag := is.Diagnostic
		if is.Constraint != "" {
			diag = is.Constraint + ": " + diag
		}
		if diag != "" {
			b = append(b, `,"diagnostics":`...)
			b = appendJSONString(b, diag)
		}
		if is.Expression != "" {
			b = append(b, `,"expression":[`...)
			b = appendJSONString(b, is.Expression)
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	n, err := fhirjson.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("validate: build OperationOutcome: %w", err)
	}
	return n, nil
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, string(r)...)
		}
	}
	return append(b, '"')
}
