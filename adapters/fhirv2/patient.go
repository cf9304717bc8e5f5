package fhirv2

import (
	"errors"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const birthTimeURL = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"

// PatientUpdate builds ADT^A08 (update patient information, structure
// ADT_A01) for p: MSH, EVN (EVN-2 the message time), PID, and PV1 with
// patient class N (not applicable): the update is about the person, not a
// visit.
func (e *Encoder) PatientUpdate(h Header, p *r4.Patient) (*hl7v2.Message, error) {
	if p == nil {
		return nil, errors.New("fhirv2: ADT^A08: no Patient")
	}
	m, ts, err := e.newMessage(h, "ADT", "A08", "ADT_A01")
	if err != nil {
		return nil, err
	}
	m.Add("EVN", "A08", hl7v2.FormatTS(ts, hl7v2.PrecisionSecond))
	pid, err := e.pid(p)
	if err != nil {
		return nil, err
	}
	m.Add("PID", pid...)
	m.Add("PV1", "1", "N")
	return m, nil
}

// pid maps Patient → PID ("HL7 Segment - FHIR R4_ PID[Patient]" reversed):
// PID-3 identifiers, PID-5 names, PID-7 birth date (with the
// patient-birthTime extension's time), PID-8 sex, PID-11 addresses, PID-13
// and PID-14 home and work telecom, PID-16 marital status, PID-29/30
// death. A Patient without an identifier that can be sent is an error:
// PID-3 is required and the receiver could not match the patient.
func (e *Encoder) pid(p *r4.Patient) ([]string, error) {
	f := make([]string, 30)
	rep := string(e.d.Repetition)
	var ids []string
	for _, id := range p.Identifier {
		if s, ok := e.cx(id, "MR"); ok {
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("fhirv2: PID-3: the Patient has no identifier to send")
	}
	f[0] = "1"
	f[2] = strings.Join(ids, rep)
	var names []string
	for _, n := range p.Name {
		if s := e.xpn(n); s != "" {
			names = append(names, s)
		}
	}
	f[4] = strings.Join(names, rep)
	f[6] = e.dtm(p.BirthDate)
	if p.BirthDateExt != nil {
		for _, x := range p.BirthDateExt.Extension {
			if x.Url == birthTimeURL {
				if t := e.dtm(x.ValueDateTime); t != "" {
					f[6] = t
				}
			}
		}
	}
	f[7] = sex0001[p.Gender]
	var addrs, home, work []string
	for _, a := range p.Address {
		if s := e.xad(a); s != "" {
			addrs = append(addrs, s)
		}
	}
	f[10] = strings.Join(addrs, rep)
	for _, c := range p.Telecom {
		s := e.xtn(c)
		switch {
		case s == "":
		case c.Use == "work":
			work = append(work, s)
		default:
			home = append(home, s)
		}
	}
	f[12], f[13] = strings.Join(home, rep), strings.Join(work, rep)
	f[15] = e.cwe(p.MaritalStatus)
	switch {
	case p.DeceasedDateTime != "":
		f[28], f[29] = e.dtm(p.DeceasedDateTime), "Y"
	case p.DeceasedBoolean != nil && *p.DeceasedBoolean:
		f[29] = "Y"
	case p.DeceasedBoolean != nil:
		f[29] = "N"
	}
	return trimFields(f), nil
}

// trimFields drops trailing empty fields.
func trimFields(f []string) []string {
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return f
}
