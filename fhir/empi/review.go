package empi

import (
	"encoding/json"
	"strconv"

	"yigong/fhir/r4"
)

// Review tasks: a pair between the thresholds becomes a FHIR Task asking a
// person whether the two patients are one. The Task's focus is the first
// patient; both are inputs, with the score and grade.
const (
	// ReviewTaskCodeSystem and ReviewTaskCode name the task's kind.
	ReviewTaskCodeSystem = "http://yigong.cn/fhir/CodeSystem/empi-task"
	ReviewTaskCode       = "patient-match-review"
	// Input types of a review task (same code system).
	InputCandidate = "candidate"
	InputScore     = "score"
	InputGrade     = "match-grade"
	InputWeight    = "weight"
)

// ReviewTask returns a requested Task for a human decision on whether the
// patients at references a and b ("Patient/123") are the same person.
// authoredOn is a FHIR dateTime; requester may be nil.
func ReviewTask(a, b string, c Candidate, authoredOn string, requester *r4.Reference) *r4.Task {
	typ := func(code string) *r4.CodeableConcept {
		return &r4.CodeableConcept{Coding: []r4.Coding{{System: ReviewTaskCodeSystem, Code: code}}}
	}
	t := &r4.Task{
		Status:     "requested",
		Intent:     "order",
		Priority:   "routine",
		Code:       typ(ReviewTaskCode),
		Focus:      &r4.Reference{Reference: a},
		AuthoredOn: authoredOn,
		Requester:  requester,
		Description: "Are these two patient records the same person? Link them (Patient.link, " +
			"type replaced-by/refer) or mark them distinct.",
		Input: []r4.TaskInput{
			{Type: typ(InputCandidate), ValueReference: &r4.Reference{Reference: a}},
			{Type: typ(InputCandidate), ValueReference: &r4.Reference{Reference: b}},
			{Type: typ(InputScore), ValueDecimal: json.Number(strconv.FormatFloat(c.Score, 'f', 4, 64))},
			{Type: typ(InputGrade), ValueCode: string(c.Grade)},
		},
	}
	if c.Rule == "" {
		t.Input = append(t.Input, r4.TaskInput{Type: typ(InputWeight), ValueDecimal: json.Number(strconv.FormatFloat(c.Weight, 'f', 2, 64))})
	}
	return t
}

// SearchEntry returns the Bundle.entry.search of a $match result: mode
// "match", the score, and the match-grade extension.
func SearchEntry(c Candidate) *r4.BundleEntrySearch {
	return &r4.BundleEntrySearch{
		Mode:  "match",
		Score: json.Number(strconv.FormatFloat(c.Score, 'f', 4, 64)),
		Extension: []r4.Extension{{
			Url:       MatchGradeExtension,
			ValueCode: string(c.Grade),
		}},
	}
}

// MatchPatient runs a $match for a Patient resource: onlyCertain keeps
// certain matches only (the operation's onlyCertainMatches), count bounds
// the result (0: all). Candidates below possible are left out.
func (ix *Index) MatchPatient(p *r4.Patient, source string, onlyCertain bool, count int) []Candidate {
	opt := MatchOptions{Count: count, MinGrade: GradePossible}
	if onlyCertain {
		opt.MinGrade = GradeCertain
	}
	return ix.Match(FromPatient(p, source), opt)
}
