package audit

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// Action is a BALP pattern.
type Action string

// The BALP patterns the hub records.
const (
	Read        Action = "read"
	Query       Action = "query"
	Create      Action = "create"
	Update      Action = "update"
	Delete      Action = "delete"
	Login       Action = "login"
	Logout      Action = "logout"
	AuthFailure Action = "auth-failure"
	Export      Action = "export"
)

// Outcome is AuditEvent.outcome.
type Outcome string

// The outcomes.
const (
	Success      Outcome = "0"
	MinorFailure Outcome = "4" // refused: 4xx
	SeriousFail  Outcome = "8" // 5xx
)

// Event is one thing to record.
type Event struct {
	Action      Action
	Outcome     Outcome
	Time        time.Time // zero: when recorded
	Agent       string    // user or client id ("" when not authenticated)
	AgentType   string    // "user" or "client"
	Client      string    // the SMART client acting for the user
	FHIRUser    string    // Practitioner/x
	Institution string    // the agent's institution
	Address     string    // network address of the caller
	// What: the resource (Type/ID[/_history/v]) or, for a query, the query
	// string (base64 in entity.query, as BALP asks) and the type searched.
	Resource string
	Patient  string // the patient concerned, when known (BALP patient entity)
	Query    string
	Detail   string // OperationOutcome text on failure; never a secret
	Observer string // the hub's device name
}

var actionCodes = map[Action]struct{ typ, typDisplay, sub, subSys, act string }{
	Read:        {"rest", "RESTful Operation", "read", "http://hl7.org/fhir/restful-interaction", "R"},
	Query:       {"rest", "RESTful Operation", "search-type", "http://hl7.org/fhir/restful-interaction", "E"},
	Create:      {"rest", "RESTful Operation", "create", "http://hl7.org/fhir/restful-interaction", "C"},
	Update:      {"rest", "RESTful Operation", "update", "http://hl7.org/fhir/restful-interaction", "U"},
	Delete:      {"rest", "RESTful Operation", "delete", "http://hl7.org/fhir/restful-interaction", "D"},
	Export:      {"110106", "Export", "export", "http://hl7.org/fhir/restful-interaction", "R"},
	Login:       {"110114", "User Authentication", "110122", "http://dicom.nema.org/resources/ontology/DCM", "E"},
	Logout:      {"110114", "User Authentication", "110123", "http://dicom.nema.org/resources/ontology/DCM", "E"},
	AuthFailure: {"110114", "User Authentication", "110122", "http://dicom.nema.org/resources/ontology/DCM", "E"},
}

// AuditEvent renders ev as a FHIR R4 AuditEvent following BALP.
func (ev Event) AuditEvent(recorded time.Time) []byte {
	c := actionCodes[ev.Action]
	typSys := "http://terminology.hl7.org/CodeSystem/audit-event-type"
	if c.typ != "rest" {
		typSys = "http://dicom.nema.org/resources/ontology/DCM"
	}
	agent := map[string]any{
		"type": map[string]any{"coding": []map[string]string{{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
			"code": "IRCP", "display": "information recipient"}}},
		"requestor": true,
	}
	if ev.Agent != "" {
		agent["who"] = map[string]any{"identifier": map[string]string{"system": "urn:yigong:" + ev.AgentType, "value": ev.Agent}}
		agent["altId"] = ev.Agent
	}
	if ev.FHIRUser != "" {
		agent["who"] = map[string]any{"reference": ev.FHIRUser}
	}
	if ev.Address != "" {
		agent["network"] = map[string]string{"address": ev.Address, "type": "2"}
	}
	agents := []any{agent}
	if ev.Client != "" && ev.Client != ev.Agent {
		agents = append(agents, map[string]any{"who": map[string]any{"identifier": map[string]string{"system": "urn:yigong:client", "value": ev.Client}},
			"requestor": false, "type": map[string]any{"coding": []map[string]string{{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110150", "display": "Application"}}}})
	}
	var entities []any
	if ev.Resource != "" || ev.Query != "" {
		e := map[string]any{"type": map[string]string{"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"}}
		if ev.Resource != "" {
			e["what"] = map[string]string{"reference": ev.Resource}
		}
		if ev.Query != "" {
			e["query"] = base64.StdEncoding.EncodeToString([]byte(ev.Query))
		}
		entities = append(entities, e)
	}
	if ev.Patient != "" {
		entities = append(entities, map[string]any{"what": map[string]string{"reference": "Patient/" + ev.Patient},
			"type": map[string]string{"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
			"role": map[string]string{"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"}})
	}
	r := map[string]any{
		"resourceType": "AuditEvent",
		"type":         map[string]string{"system": typSys, "code": c.typ, "display": c.typDisplay},
		"subtype":      []map[string]string{{"system": c.subSys, "code": c.sub}},
		"action":       c.act,
		"recorded":     recorded.Format(time.RFC3339Nano),
		"outcome":      string(ev.Outcome),
		"agent":        agents,
		"source":       map[string]any{"observer": map[string]string{"display": ev.Observer}},
	}
	if ev.Detail != "" {
		r["outcomeDesc"] = ev.Detail
	}
	if len(entities) > 0 {
		r["entity"] = entities
	}
	data, _ := json.Marshal(r)
	return data
}
