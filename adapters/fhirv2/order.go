package fhirv2

import (
	"errors"
	"strconv"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// OrderPlaced builds OML^O21 (laboratory order, structure OML_O21, v2.5.1)
// for a ServiceRequest: MSH, PID (from p), ORC ("ORC[ServiceRequest]"
// reversed: ORC-1 NW, ORC-2/3 placer and filler numbers, ORC-9 authored
// on, ORC-12 requester), TQ1 with TQ1-9 priority when one is given, OBR
// ("OBR[ServiceRequest]" reversed: OBR-2/3 again, OBR-4 code, OBR-6
// occurrence, OBR-16 requester, OBR-31 reasons), and an NTE per note.
func (e *Encoder) OrderPlaced(h Header, sr *r4.ServiceRequest, p *r4.Patient) (*hl7v2.Message, error) {
	if sr == nil || p == nil {
		return nil, errors.New("fhirv2: OML^O21: a ServiceRequest and its Patient are required")
	}
	code := e.cwe(sr.Code)
	if code == "" {
		return nil, errors.New("fhirv2: OBR-4: the ServiceRequest has no code")
	}
	m, err := e.newPatientMessage(h, "OML", "O21", "OML_O21", p)
	if err != nil {
		return nil, err
	}
	placer, filler := orderNumbers(sr.Identifier)
	if placer == nil && (filler == nil || identifierType(*filler) == "") {
		// An order's untyped identifier is the placer's number.
		placer, filler = filler, nil
	}
	placerEI, fillerEI := e.ei(placer), e.ei(filler)
	if placerEI == "" {
		placerEI = join(e.d.Component, e.esc(sr.ID), e.esc(e.cfg.Application))
	}
	requester := e.xcn(sr.Requester)
	if sr.Requester != nil && sr.Requester.Type != "" && sr.Requester.Type != "Practitioner" && sr.Requester.Type != "PractitionerRole" {
		requester = ""
	}
	orc := make([]string, 12)
	orc[0], orc[1], orc[2] = "NW", placerEI, fillerEI
	orc[8] = e.dtm(sr.AuthoredOn)
	orc[11] = requester
	m.Add("ORC", trimFields(orc)...)
	if pr := priority0485[sr.Priority]; pr != "" {
		m.Add("TQ1", "1", "", "", "", "", "", "", "", pr)
	}
	obr := make([]string, 31)
	obr[0], obr[1], obr[2], obr[3] = "1", placerEI, fillerEI, code
	obr[5] = e.dtm(sr.OccurrenceDateTime)
	obr[15] = requester
	var reasons []string
	for i := range sr.ReasonCode {
		if s := e.cwe(&sr.ReasonCode[i]); s != "" {
			reasons = append(reasons, s)
		}
	}
	obr[30] = strings.Join(reasons, string(e.d.Repetition))
	m.Add("OBR", trimFields(obr)...)
	for i, n := range sr.Note {
		if t := strings.TrimSpace(n.Text); t != "" {
			m.Add("NTE", strconv.Itoa(i+1), "", e.text(t))
		}
	}
	return m, nil
}
