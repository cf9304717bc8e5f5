package v2fhir

import (
	"fmt"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// mapMerge maps ADT A40 (merge patient, identifier list) and A47 (change
// patient identifier list). Each PID/MRG pair gives:
//
//   - the surviving patient (PID): a conditional update on its PID-3 key
//     carrying the moved MRG-1 identifiers with use "old" and
//     link {other: prior, type: "replaces"};
//   - the prior patient (MRG-1): a conditional FHIRPath Patch
//     (PATCH Patient?identifier=<prior>&link:missing=true) that sets
//     active false, removes the moved identifier and adds
//     link {other: survivor, type: "replaced-by"}.
//
// Nothing is deleted and both resources keep their history, so the merge
// is visible and reversible (an unmerge patches the link away and moves
// the identifier back). The :missing guard makes a re-sent merge match
// nothing instead of patching the survivor; callers deduplicate re-sent
// messages by Result.MessageKey before that.
func mapMerge(b *builder) error {
	pairs := 0
	for i, l := range b.segs {
		if l.name != "PID" {
			continue
		}
		var mrg segLoc
		for _, n := range b.segs[i+1:] {
			if n.name == "PID" {
				break
			}
			if n.name == "MRG" {
				mrg = n
				break
			}
		}
		if mrg.seg == nil {
			return errAt(l, 0, 0, "100", "PID without MRG in a merge message")
		}
		if err := b.mergePair(l, mrg); err != nil {
			return err
		}
		pairs++
	}
	if pairs == 0 {
		return &Error{Segment: "PID", Sequence: 1, Code: "100", Msg: "PID segment missing"}
	}
	return nil
}

func (b *builder) mergePair(pidLoc, mrgLoc segLoc) error {
	p, ids, err := b.patientResource(pidLoc)
	if err != nil {
		return err
	}
	var key *r4.Identifier
	for i := range ids {
		if ids[i].System != "" {
			key = &ids[i]
			break
		}
	}
	if key == nil {
		return errAt(pidLoc, 3, 4, "101", "PID-3 has no identifier with an assigning authority")
	}
	mrg := hl7v2.MRG{Segment: mrgLoc.seg}
	cxs := mrg.PriorPatientIdentifierList()
	if len(cxs) == 0 {
		if cx := mrg.PriorPatientID(); cx.IDNumber != "" { // MRG-4, before v2.3.1
			cxs = []hl7v2.CX{cx}
		}
	}
	var prior []r4.Identifier
	for _, cx := range cxs {
		id, err := b.identifierFromCX(cx, mrgLoc, 1)
		if err != nil {
			return err
		}
		if id != nil && id.System != "" {
			prior = append(prior, *id)
		}
	}
	if len(prior) == 0 {
		return errAt(mrgLoc, 1, 1, "101", "MRG-1 prior patient identifier list has no identifier with an assigning authority")
	}
	priorKey := prior[0]
	if priorKey.System == key.System && priorKey.Value == key.Value {
		return errAt(mrgLoc, 1, 1, "205", "MRG-1 names the surviving patient itself")
	}
	survivorURL := entryUUID(b.sender, b.ctl, pidLoc.String())
	priorURL := entryUUID(b.sender, b.ctl, mrgLoc.String())
	for _, id := range prior {
		moved := id
		moved.Use = "old"
		dup := false
		for _, have := range p.Identifier {
			if have.System == id.System && have.Value == id.Value {
				dup = true
			}
		}
		if !dup {
			p.Identifier = append(p.Identifier, moved)
		}
	}
	p.Active = r4.Bool(true)
	p.Link = append(p.Link, r4.PatientLink{Other: &r4.Reference{Reference: priorURL, Type: "Patient"}, Type: "replaces"})
	b.patientID = &r4.Identifier{System: key.System, Value: key.Value}
	b.patientRef = b.add(p, pidLoc.String(), *key, upsert)

	known := true
	if b.opts.PatientExists != nil {
		var err error
		if known, err = b.opts.PatientExists(b.ctx, priorKey.System, priorKey.Value); err != nil {
			return fmt.Errorf("v2fhir: look up the prior patient of MRG-1: %w", err)
		}
		b.lookedUp = true
	}
	if !known {
		b.priorStub(mrgLoc, prior, priorURL, survivorURL)
		return nil
	}

	ops := []r4.ParametersParameter{
		patchOp("delete", "Patient.active", "", nil),
		patchOp("add", "Patient", "active", &r4.ParametersParameter{Name: "value", ValueBoolean: r4.Bool(false)}),
		patchOp("add", "Patient", "link", &r4.ParametersParameter{Name: "value", Part: []r4.ParametersParameter{
			{Name: "other", ValueReference: &r4.Reference{Reference: survivorURL, Type: "Patient"}},
			{Name: "type", ValueCode: "replaced-by"},
		}}),
	}
	for _, id := range prior {
		ops = append(ops, patchOp("delete", "Patient.identifier.where(system = "+fhirpathString(id.System)+
			" and value = "+fhirpathString(id.Value)+")", "", nil))
	}
	b.entries = append(b.entries, r4.BundleEntry{
		FullUrl:  priorURL,
		Resource: &r4.AnyResource{Resource: &r4.Parameters{Parameter: ops}},
		Request: &r4.BundleEntryRequest{Method: "PATCH",
			Url: "Patient?identifier=" + tokenParam(priorKey.System, priorKey.Value) + "&link:missing=true"},
	})
	if !mrgLoc.seg.Field(7).IsEmpty() {
		b.notMapped(mrgLoc.field(7), "Patient", "MRG-7 prior patient name")
	}
	return nil
}

// priorStub records a prior patient the hub never saw: an inactive
// Patient replaced by the survivor, holding the prior identifiers as old
// ones and MRG-7's name. Its conditional create (on the identifier and
// active=false, which the active survivor never matches) keeps the entry
// idempotent.
func (b *builder) priorStub(mrgLoc segLoc, prior []r4.Identifier, priorURL, survivorURL string) {
	stub := &r4.Patient{Active: r4.Bool(false),
		Link: []r4.PatientLink{{Other: &r4.Reference{Reference: survivorURL, Type: "Patient"}, Type: "replaced-by"}}}
	for _, id := range prior {
		id.Use = "old"
		stub.Identifier = append(stub.Identifier, id)
	}
	for _, xpn := range mrgLoc.seg.Field(7).Repetitions() {
		if n := b.humanName(hl7v2.ParseXPN(xpn)); n != nil {
			stub.Name = append(stub.Name, *n)
		}
	}
	b.entries = append(b.entries, r4.BundleEntry{
		FullUrl:  priorURL,
		Resource: &r4.AnyResource{Resource: stub},
		Request: &r4.BundleEntryRequest{Method: "POST", Url: "Patient",
			IfNoneExist: IdentifierQuery(prior[0].System, prior[0].Value) + "&active=false"},
	})
}

// patchOp builds one FHIRPath Patch operation (http://hl7.org/fhir/R4/fhirpatch.html).
func patchOp(typ, path, name string, value *r4.ParametersParameter) r4.ParametersParameter {
	op := r4.ParametersParameter{Name: "operation", Part: []r4.ParametersParameter{
		{Name: "type", ValueCode: typ},
		{Name: "path", ValueString: path},
	}}
	if name != "" {
		op.Part = append(op.Part, r4.ParametersParameter{Name: "name", ValueString: name})
	}
	if value != nil {
		op.Part = append(op.Part, *value)
	}
	return op
}

// fhirpathString quotes s as a FHIRPath string literal.
func fhirpathString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
