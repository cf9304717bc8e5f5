package dicomfhir

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"yigong/dicom"
	"yigong/fhir"
	"yigong/fhir/r4"
)

// ID is the adapter's identifier.
const ID = "adapters.dicom.fhir"

// Code systems and identifier systems used by the mapping.
const (
	SystemDICOMUID      = "urn:dicom:uid"
	SystemDCM           = "http://dicom.nema.org/resources/ontology/DCM"
	SystemRFC3986       = "urn:ietf:rfc:3986"
	SystemV2_0203       = "http://terminology.hl7.org/CodeSystem/v2-0203"
	ExtENRepresentation = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"
)

// Config configures the mapping. The zero value is usable.
type Config struct {
	// PatientIDSystem is the identifier system of PatientID when the
	// instance has no IssuerOfPatientID; "" means
	// "urn:yigong:dicom:patient-id:<institution>".
	PatientIDSystem string
	// IssuerSystems maps IssuerOfPatientID values to identifier systems
	// (an issuer "HIS" may be the hospital's 门诊号 system). Unmapped
	// issuers that are OIDs become urn:oid:<issuer>, others
	// "urn:yigong:dicom:issuer:<issuer>".
	IssuerSystems map[string]string
	// AccessionSystem is the identifier system of Accession Numbers; ""
	// means "urn:yigong:dicom:accession:<institution>".
	AccessionSystem string
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	for k, v := range c.IssuerSystems {
		if k == "" || v == "" {
			return errors.New("dicomfhir: issuer_systems: empty issuer or system")
		}
	}
	return nil
}

// Study is what the mapping needs to know of a study: the patient and study
// attributes, then each series with its own attributes and instances.
type Study struct {
	Institution string
	// Header holds the patient and study attributes of the study.
	Header *dicom.Dataset
	Series []Series
	// ServiceRequestExists says that a ServiceRequest with the study's
	// Accession Number is stored, so basedOn may be a conditional
	// reference that the transaction resolves.
	ServiceRequestExists bool
}

// Series is one series of a Study.
type Series struct {
	Header    *dicom.Dataset // Series Instance UID, Modality, Series Number...
	Instances []Instance
}

// Instance is one instance of a Series.
type Instance struct {
	SOPClassUID, SOPInstanceUID string
	Number                      int64
}

// PatientSystem returns the identifier system of the study's PatientID.
func (c *Config) PatientSystem(institution, issuer string) string {
	if issuer != "" {
		if s, ok := c.IssuerSystems[issuer]; ok {
			return s
		}
		if isOID(issuer) {
			return "urn:oid:" + issuer
		}
		return "urn:yigong:dicom:issuer:" + issuer
	}
	if c.PatientIDSystem != "" {
		return c.PatientIDSystem
	}
	return "urn:yigong:dicom:patient-id:" + institution
}

// AccessionIdentifierSystem returns the identifier system of Accession
// Numbers.
func (c *Config) AccessionIdentifierSystem(institution string) string {
	if c.AccessionSystem != "" {
		return c.AccessionSystem
	}
	return "urn:yigong:dicom:accession:" + institution
}

func isOID(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// StudyIdentifier returns the ImagingStudy identifier of a Study Instance
// UID: urn:dicom:uid|urn:oid:<uid>, and its search token.
func StudyIdentifier(studyUID string) (r4.Identifier, string) {
	id := r4.Identifier{System: SystemDICOMUID, Value: "urn:oid:" + studyUID}
	return id, token(id.System, id.Value)
}

// token formats system|value for a search URL, escaping the characters
// that FHIR search gives a meaning (\ , $ |).
func token(system, value string) string {
	esc := func(s string) string {
		r := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `$`, `\$`, `|`, `\|`)
		return r.Replace(s)
	}
	return esc(system) + "|" + esc(value)
}

// Build maps a study to a FHIR transaction Bundle (see the package doc).
func (c *Config) Build(st *Study) (*fhir.Node, error) {
	if st.Header == nil {
		return nil, errors.New("dicomfhir: study without header")
	}
	h := st.Header
	studyUID := h.Text(dicom.TagStudyInstanceUID)
	if studyUID == "" {
		return nil, errors.New("dicomfhir: study without Study Instance UID")
	}
	var entries []r4.BundleEntry

	// Patient.
	var subject *r4.Reference
	pid := h.Text(dicom.TagPatientID)
	if pid != "" {
		sys := c.PatientSystem(st.Institution, h.Text(tagIssuerOfPatientID))
		p := &r4.Patient{Identifier: []r4.Identifier{{Use: "usual", System: sys, Value: pid}}}
		criteria := []string{token(sys, pid)}
		for _, other := range otherIDs(h) {
			osys := c.PatientSystem(st.Institution, other[1])
			p.Identifier = append(p.Identifier, r4.Identifier{Use: "secondary", System: osys, Value: other[0]})
			criteria = append(criteria, token(osys, other[0]))
		}
		p.Name = names(h)
		switch strings.ToUpper(h.Text(dicom.TagPatientSex)) {
		case "M":
			p.Gender = "male"
		case "F":
			p.Gender = "female"
		case "O":
			p.Gender = "other"
		}
		if bd := fhirDate(h.Text(dicom.TagPatientBirthDate)); bd != "" {
			p.BirthDate = bd
		}
		full := entryURN(st.Institution, studyUID, "Patient")
		entries = append(entries, r4.BundleEntry{FullUrl: full, Resource: &r4.AnyResource{Resource: p},
			Request: &r4.BundleEntryRequest{Method: "POST", Url: "Patient", IfNoneExist: "identifier=" + strings.Join(criteria, ",")}})
		subject = &r4.Reference{Reference: full, Type: "Patient"}
	}

	// ImagingStudy.
	ident, tok := StudyIdentifier(studyUID)
	is := &r4.ImagingStudy{Identifier: []r4.Identifier{ident}, Status: "available", Subject: subject}
	if is.Subject == nil {
		// ImagingStudy.subject is required: an anonymous study refers
		// to an unidentified patient by display only.
		is.Subject = &r4.Reference{Type: "Patient", Display: "unidentified"}
	}
	if acc := h.Text(dicom.TagAccessionNumber); acc != "" {
		accID := r4.Identifier{Use: "usual", System: c.AccessionIdentifierSystem(st.Institution), Value: acc,
			Type: &r4.CodeableConcept{Coding: []r4.Coding{{System: SystemV2_0203, Code: "ACSN"}}}}
		is.Identifier = append(is.Identifier, accID)
		ref := r4.Reference{Type: "ServiceRequest", Identifier: &r4.Identifier{System: accID.System, Value: acc, Type: accID.Type}}
		if st.ServiceRequestExists {
			ref = r4.Reference{Reference: "ServiceRequest?identifier=" + token(accID.System, acc), Type: "ServiceRequest"}
		}
		is.BasedOn = []r4.Reference{ref}
	}
	if started := fhirDateTime(h.Text(dicom.TagStudyDate), h.Text(tagStudyTime)); started != "" {
		is.Started = started
	}
	is.Description = h.Text(tagStudyDescription)
	if rp := h.Text(tagReferringPhysicianName); rp != "" {
		if d := displayName(dicom.ParsePersonName(rp)); d != "" {
			is.Referrer = &r4.Reference{Display: d}
		}
	}
	var nInst int64
	mods := map[string]bool{}
	for _, se := range st.Series {
		if se.Header == nil {
			continue
		}
		s := r4.ImagingStudySeries{Uid: se.Header.Text(dicom.TagSeriesInstanceUID)}
		if s.Uid == "" {
			continue
		}
		if n, err := se.Header.Int(dicom.TagSeriesNumber); err == nil {
			s.Number = &n
		}
		mod := se.Header.Text(dicom.TagModality)
		if mod == "" {
			mod = "OT"
		}
		s.Modality = &r4.Coding{System: SystemDCM, Code: mod}
		if !mods[mod] {
			mods[mod] = true
			is.Modality = append(is.Modality, r4.Coding{System: SystemDCM, Code: mod})
		}
		s.Description = se.Header.Text(tagSeriesDescription)
		if bp := se.Header.Text(tagBodyPartExamined); bp != "" {
			s.BodySite = &r4.Coding{Display: bp}
		}
		if started := fhirDateTime(se.Header.Text(tagSeriesDate), se.Header.Text(tagSeriesTime)); started != "" {
			s.Started = started
		}
		for _, in := range se.Instances {
			ri := r4.ImagingStudySeriesInstance{Uid: in.SOPInstanceUID,
				SopClass: &r4.Coding{System: SystemRFC3986, Code: "urn:oid:" + in.SOPClassUID}}
			if in.Number != 0 {
				n := in.Number
				ri.Number = &n
			}
			s.Instance = append(s.Instance, ri)
		}
		n := int64(len(s.Instance))
		s.NumberOfInstances = &n
		nInst += n
		is.Series = append(is.Series, s)
	}
	nSeries := int64(len(is.Series))
	is.NumberOfSeries, is.NumberOfInstances = &nSeries, &nInst
	entries = append(entries, r4.BundleEntry{FullUrl: entryURN(st.Institution, studyUID, "ImagingStudy"),
		Resource: &r4.AnyResource{Resource: is},
		Request:  &r4.BundleEntryRequest{Method: "PUT", Url: "ImagingStudy?identifier=" + tok}})

	b := &r4.Bundle{Type: "transaction", Entry: entries}
	n, err := r4.ToNode(b)
	if err != nil {
		return nil, fmt.Errorf("dicomfhir: study %s: %w", studyUID, err)
	}
	return n, nil
}

// otherIDs returns (id, issuer) pairs of Other Patient IDs Sequence, else of
// the retired Other Patient IDs.
func otherIDs(h *dicom.Dataset) [][2]string {
	var out [][2]string
	for _, it := range h.Items(tagOtherPatientIDsSequence) {
		if id := it.Text(dicom.TagPatientID); id != "" {
			out = append(out, [2]string{id, it.Text(tagIssuerOfPatientID)})
		}
	}
	if len(out) == 0 {
		if vs, err := h.Strings(tagOtherPatientIDs); err == nil {
			for _, v := range vs {
				if v = strings.TrimSpace(v); v != "" {
					out = append(out, [2]string{v, ""})
				}
			}
		}
	}
	return out
}

// names maps the PN groups of PatientName to HumanName entries.
func names(h *dicom.Dataset) []r4.HumanName {
	pn, err := h.PersonName(dicom.TagPatientName)
	if err != nil {
		return nil
	}
	var out []r4.HumanName
	for _, g := range []struct {
		group dicom.NameGroup
		code  string
		join  string
	}{{pn.Alphabetic, "ABC", " "}, {pn.Ideographic, "IDE", ""}, {pn.Phonetic, "SYL", " "}} {
		hn, ok := humanName(g.group, g.join)
		if !ok {
			continue
		}
		hn.Use = "official"
		hn.Extension = []r4.Extension{{Url: ExtENRepresentation, ValueCode: g.code}}
		out = append(out, hn)
	}
	return out
}

func humanName(g dicom.NameGroup, join string) (r4.HumanName, bool) {
	var hn r4.HumanName
	hn.Family = strings.TrimSpace(g.Family)
	for _, s := range strings.Fields(g.Given) {
		hn.Given = append(hn.Given, s)
	}
	if m := strings.TrimSpace(g.Middle); m != "" {
		hn.Given = append(hn.Given, m)
	}
	if p := strings.TrimSpace(g.Prefix); p != "" {
		hn.Prefix = []string{p}
	}
	if s := strings.TrimSpace(g.Suffix); s != "" {
		hn.Suffix = []string{s}
	}
	if hn.Family == "" && len(hn.Given) == 0 {
		return hn, false
	}
	parts := append([]string{}, hn.Family)
	parts = append(parts, hn.Given...)
	if join == "" { // 王小东: family name first, no spaces
		hn.Text = strings.Join(parts, "")
	} else {
		hn.Text = strings.TrimSpace(strings.Join(append(hn.Given, hn.Family), " "))
	}
	return hn, true
}

func displayName(pn dicom.PersonName) string {
	for _, g := range []dicom.NameGroup{pn.Ideographic, pn.Alphabetic, pn.Phonetic} {
		if hn, ok := humanName(g, ""); ok {
			return hn.Text
		}
	}
	return ""
}

// fhirDate turns a DA value into a FHIR date, or "".
func fhirDate(da string) string {
	da = strings.TrimSpace(da)
	if len(da) != 8 {
		return ""
	}
	if _, err := strconv.Atoi(da); err != nil {
		return ""
	}
	return da[0:4] + "-" + da[4:6] + "-" + da[6:8]
}

// fhirDateTime joins DA and TM into a FHIR dateTime at +08:00, or the date
// alone when there is no time.
func fhirDateTime(da, tm string) string {
	d := fhirDate(da)
	if d == "" {
		return ""
	}
	tm = strings.TrimSpace(tm)
	if len(tm) < 4 {
		return d
	}
	if _, err := strconv.Atoi(strings.SplitN(tm, ".", 2)[0]); err != nil {
		return d
	}
	hh, mm, ss := tm[0:2], tm[2:4], "00"
	if len(tm) >= 6 {
		ss = tm[4:6]
	}
	return d + "T" + hh + ":" + mm + ":" + ss + "+08:00"
}

// entryURN makes a stable urn:uuid for an entry of the study's Bundle.
func entryURN(institution, studyUID, what string) string {
	h := sha1.Sum([]byte("yigong-dicom\x00" + institution + "\x00" + studyUID + "\x00" + what))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// ServiceRequestCriteria returns the search criteria of the ServiceRequest
// with the given Accession Number.
func (c *Config) ServiceRequestCriteria(institution, accession string) string {
	return "identifier=" + token(c.AccessionIdentifierSystem(institution), accession)
}
