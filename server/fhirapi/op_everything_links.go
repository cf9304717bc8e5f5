package fhirapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"yigong/fhir"
	"yigong/fhir/store"
)

// maxLinkedPatients bounds how many patients one Patient/$everything
// follows through Patient.link.
const maxLinkedPatients = 100

// followedLinks are the Patient.link types $everything follows
// (http://hl7.org/fhir/R4/valueset-link-type.html): seealso (a master to
// its institutions' records), refer (a record to the one to consult) and
// replaces (a merge survivor to the patient merged into it, whose
// references were not rewritten). replaced-by is not followed: a retired
// record's $everything stays its own.
var followedLinks = map[string]bool{"seealso": true, "refer": true, "replaces": true}

// linkedPatients returns focus's id followed by the ids of every current
// Patient its links reach, transitively, and adds those patients to found.
// Links to patients that do not exist or are deleted are skipped.
func linkedPatients(ctx context.Context, st store.Reader, focus *store.Resource, found map[string]*store.Resource) ([]string, error) {
	ids := []string{focus.ID}
	seen := map[string]bool{focus.ID: true}
	for queue := []*store.Resource{focus}; len(queue) > 0; queue = queue[1:] {
		var p struct {
			Link []struct {
				Other struct{ Reference string } `json:"other"`
				Type  string                     `json:"type"`
			} `json:"link"`
		}
		if err := json.Unmarshal(queue[0].JSON, &p); err != nil {
			return nil, fmt.Errorf("fhirapi: $everything: Patient/%s: %w", queue[0].ID, err)
		}
		for _, l := range p.Link {
			if !followedLinks[l.Type] {
				continue
			}
			id, ok := linkedID(l.Other.Reference)
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if len(ids) > maxLinkedPatients {
				return nil, &fhir.Error{Kind: fhir.KindBusy, Msg: "fhirapi: $everything: too many linked patients",
					Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "too-costly",
						Diagnostic: fmt.Sprintf("more than %d patients are linked to Patient/%s", maxLinkedPatients, focus.ID)}}}
			}
			r, err := st.Read(ctx, store.Ref{Type: "Patient", ID: id})
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("fhirapi: $everything: linked Patient/%s: %w", id, err)
			}
			found["Patient/"+id] = r
			ids = append(ids, id)
			queue = append(queue, r)
		}
	}
	return ids, nil
}

// linkedID returns the id of a Patient reference, relative or absolute,
// versioned or not.
func linkedID(ref string) (string, bool) {
	i := strings.LastIndex(ref, "Patient/")
	if i < 0 {
		return "", false
	}
	id, _, _ := strings.Cut(ref[i+len("Patient/"):], "/")
	return id, validID(id)
}
