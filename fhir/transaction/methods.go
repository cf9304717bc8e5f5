package transaction

// Request methods of Bundle.entry.request.method (http://hl7.org/fhir/R4/valueset-http-verb.html).
const (
	MethodGet    = "GET"
	MethodHead   = "HEAD"
	MethodPost   = "POST"
	MethodPut    = "PUT"
	MethodPatch  = "PATCH"
	MethodDelete = "DELETE"
)

// Statuses written into Bundle.entry.response.status for successful
// entries; an entry's error takes the status of its fhir.Kind
// (fhir.Kind.Status).
const (
	StatusOK             = 200
	StatusCreated        = 201
	StatusNoContent      = 204
	StatusNotImplemented = 501
)
