package store

import (
	"context"
	"slices"
)

// Visibility is what a caller may see: whole institutions, plus single
// patients shared with it from other institutions (a referral). A context
// carrying a Visibility ([WithVisibility]) restricts every read the store
// answers in that context: Read, VRead, Search (and every chain, _has and
// include inside it), History, and the lookups of conditional writes and
// transactions. What the caller may not see does not exist for it: a read
// answers ErrNotFound, a search leaves it out.
//
// A shared patient's compartment is the Patient itself and every resource
// of the owning institution that references it through a search parameter
// (the index's reference rows): a superset of the R4 Patient compartment,
// so that nothing recorded about the patient stays behind.
//
// A context without a Visibility is unrestricted: the hub's own work (the
// HL7 workers, the EMPI, DICOM) runs so, each with its own rules.
type Visibility struct {
	Institutions []string     // institutions seen whole
	Patients     []PatientRef // single patients seen in other institutions
}

// PatientRef names one patient in one institution.
type PatientRef struct {
	Institution string
	ID          string
}

// SeesInstitution reports whether v sees institution whole.
func (v Visibility) SeesInstitution(institution string) bool {
	return slices.Contains(v.Institutions, institution)
}

type visibilityKey struct{}

// WithVisibility returns a context whose store reads see only v.
func WithVisibility(ctx context.Context, v Visibility) context.Context {
	return context.WithValue(ctx, visibilityKey{}, &v)
}

// VisibilityOf returns the restriction of ctx; ok is false when ctx is
// unrestricted.
func VisibilityOf(ctx context.Context) (v Visibility, ok bool) {
	p, _ := ctx.Value(visibilityKey{}).(*Visibility)
	if p == nil {
		return Visibility{}, false
	}
	return *p, true
}

// Unrestricted returns a context derived from ctx (deadline, values) whose
// store reads are not restricted: for the hub's own bookkeeping started
// from a caller's request (audit, the EMPI), never for answering the
// caller.
func Unrestricted(ctx context.Context) context.Context {
	return context.WithValue(ctx, visibilityKey{}, (*Visibility)(nil))
}

// InstitutionTagSystem is the system of the meta.tag with which the store
// shows a resource's owning institution (its partition key) in every
// version it stores: {"system": InstitutionTagSystem, "code": institution}.
// A tag of this system sent by a client is replaced; `_tag=` finds the
// resources of one institution.
const InstitutionTagSystem = "http://yigong.cn/fhir/CodeSystem/institution"
