package dicomfhir

import (
	"crypto/sha256"
	"math/big"
	"strings"

	"yigong/dicom"
	"yigong/fhir/r4"
)

// Modality Worklist tags (PS3.4 K.6, PS3.3 C.4.10).
const (
	tagScheduledProcedureStepSequence    = dicom.Tag(0x00400100)
	tagScheduledStationAETitle           = dicom.Tag(0x00400001)
	tagScheduledProcedureStepStartDate   = dicom.Tag(0x00400002)
	tagScheduledProcedureStepStartTime   = dicom.Tag(0x00400003)
	tagScheduledProcedureStepDescription = dicom.Tag(0x00400007)
	tagScheduledProcedureStepID          = dicom.Tag(0x00400009)
	tagRequestedProcedureID              = dicom.Tag(0x00401001)
	tagRequestedProcedureDescription     = dicom.Tag(0x00321060)
	tagReferringPhysician                = dicom.Tag(0x00080090)
)

// WorklistItem maps an imaging ServiceRequest and its Patient to a Modality
// Worklist item (PS3.4 Annex K): Accession Number from the ACSN (or first)
// identifier, the Patient's identifier, names (alphabetic, ideographic and
// phonetic groups from the iso21090-EN-representation of each HumanName),
// birth date and sex, one Scheduled Procedure Step with the modality (a
// DCM coding of category or code), start date and time (occurrence) and
// description, and a Study Instance UID derived from the request, so every
// modality that picks the item files its images under the same study. The
// item is UTF-8 (ISO_IR 192).
func (c *Config) WorklistItem(institution string, sr *r4.ServiceRequest, p *r4.Patient) *dicom.Dataset {
	ds := dicom.New()
	set := func(t dicom.Tag, vr dicom.VR, v ...string) { _ = ds.SetStrings(t, vr, v...) }
	set(dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192")
	acc := ""
	for _, id := range sr.Identifier {
		if id.Type != nil && len(id.Type.Coding) > 0 && id.Type.Coding[0].Code == "ACSN" {
			acc = id.Value
		}
	}
	if acc == "" && len(sr.Identifier) > 0 {
		acc = sr.Identifier[0].Value
	}
	set(dicom.TagAccessionNumber, dicom.SH, clip(acc, 16))
	set(tagRequestedProcedureID, dicom.SH, clip(sr.ID, 16))
	desc := ""
	if sr.Code != nil {
		desc = sr.Code.Text
		if desc == "" && len(sr.Code.Coding) > 0 {
			desc = sr.Code.Coding[0].Display
		}
	}
	set(tagRequestedProcedureDescription, dicom.LO, clip(desc, 64))
	set(dicom.TagStudyInstanceUID, dicom.UI, StudyUIDFor(institution, sr.ID))
	if sr.Requester != nil && sr.Requester.Display != "" {
		set(tagReferringPhysician, dicom.PN, sr.Requester.Display)
	}
	if p != nil {
		if len(p.Identifier) > 0 {
			set(dicom.TagPatientID, dicom.LO, clip(p.Identifier[0].Value, 64))
		}
		set(dicom.TagPatientName, dicom.PN, personName(p.Name))
		set(dicom.TagPatientBirthDate, dicom.DA, strings.ReplaceAll(p.BirthDate, "-", ""))
		switch p.Gender {
		case "male":
			set(dicom.TagPatientSex, dicom.CS, "M")
		case "female":
			set(dicom.TagPatientSex, dicom.CS, "F")
		case "other":
			set(dicom.TagPatientSex, dicom.CS, "O")
		}
	}
	sps := dicom.NewItem(ds)
	sset := func(t dicom.Tag, vr dicom.VR, v string) { _ = sps.SetStrings(t, vr, v) }
	sset(dicom.TagModality, dicom.CS, modalityOf(sr))
	sset(tagScheduledStationAETitle, dicom.AE, "")
	date, tm := "", ""
	if o := sr.OccurrenceDateTime; len(o) >= 10 {
		date = strings.ReplaceAll(o[:10], "-", "")
		if len(o) >= 16 {
			tm = strings.ReplaceAll(o[11:16], ":", "")
		}
	}
	sset(tagScheduledProcedureStepStartDate, dicom.DA, date)
	sset(tagScheduledProcedureStepStartTime, dicom.TM, tm)
	sset(tagScheduledProcedureStepDescription, dicom.LO, clip(desc, 64))
	sset(tagScheduledProcedureStepID, dicom.SH, clip(sr.ID, 16))
	ds.SetItems(tagScheduledProcedureStepSequence, sps)
	return ds
}

// StudyUIDFor derives a Study Instance UID (2.25 form) from a request.
func StudyUIDFor(institution, requestID string) string {
	h := sha256.Sum256([]byte("yigong-mwl\x00" + institution + "\x00" + requestID))
	return "2.25." + new(big.Int).SetBytes(h[:16]).String()
}

func modalityOf(sr *r4.ServiceRequest) string {
	var ccs []r4.CodeableConcept
	ccs = append(ccs, sr.Category...)
	if sr.Code != nil {
		ccs = append(ccs, *sr.Code)
	}
	for _, cc := range ccs {
		for _, c := range cc.Coding {
			if c.System == SystemDCM && c.Code != "" {
				return c.Code
			}
		}
	}
	return ""
}

// personName joins HumanName entries into a PN with up to three groups.
func personName(names []r4.HumanName) string {
	var groups [3]string
	for _, n := range names {
		g := 0
		for _, e := range n.Extension {
			if e.Url == ExtENRepresentation {
				switch e.ValueCode {
				case "IDE":
					g = 1
				case "SYL":
					g = 2
				}
			}
		}
		if groups[g] != "" {
			continue
		}
		v := n.Family + "^" + strings.Join(n.Given, " ")
		if n.Family == "" && len(n.Given) == 0 {
			v = n.Text
		}
		groups[g] = strings.TrimRight(v, "^")
	}
	s := groups[0] + "=" + groups[1] + "=" + groups[2]
	return strings.TrimRight(s, "=")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
