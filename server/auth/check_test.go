package auth_test

import (
	"context"
	"testing"

	"yigong/fhir"
	"yigong/fhir/search"
	"yigong/server/auth"
	"yigong/server/auth/scope"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	ix, err := search.NewIndexer(search.Options{BaseURL: "http://h/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	c := &auth.Checker{Indexer: ix}
	set, _ := scope.ParseSet("launch/patient patient/Observation.rs?category=laboratory patient/Patient.r")
	p := &auth.Principal{Kind: auth.KindUser, Subject: "doctor", Scopes: set, Patient: "p1"}
	lab := []byte(`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Hb"},"subject":{"reference":"Patient/p1"},
"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}]}`)
	vital := []byte(`{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"BP"},"subject":{"reference":"Patient/p1"},
"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}]}`)
	otherLab := []byte(`{"resourceType":"Observation","id":"o3","status":"final","code":{"text":"Hb"},"subject":{"reference":"Patient/p2"},
"category":[{"coding":[{"code":"laboratory"}]}]}`)
	tests := []struct {
		name string
		req  auth.Request
		ok   bool
	}{
		{"lab of the patient", auth.Request{ResourceType: "Observation", Interaction: "read", Resource: lab}, true},
		{"vital sign refused by the v2 restriction", auth.Request{ResourceType: "Observation", Interaction: "read", Resource: vital}, false},
		{"another patient's lab", auth.Request{ResourceType: "Observation", Interaction: "search-type", Resource: otherLab}, false},
		{"own Patient", auth.Request{ResourceType: "Patient", Interaction: "read", Resource: []byte(`{"resourceType":"Patient","id":"p1"}`)}, true},
		{"other Patient", auth.Request{ResourceType: "Patient", Interaction: "read", Resource: []byte(`{"resourceType":"Patient","id":"p2"}`)}, false},
		{"Patient search (.r only)", auth.Request{ResourceType: "Patient", Interaction: "search-type"}, false},
		{"write refused", auth.Request{ResourceType: "Observation", Interaction: "update", Resource: lab}, false},
		{"Condition refused", auth.Request{ResourceType: "Condition", Interaction: "read"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Check(context.Background(), p, tc.req)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && fhir.KindOf(err) != fhir.KindForbidden {
				t.Fatalf("kind %v", fhir.KindOf(err))
			}
		})
	}
	sys, _ := scope.ParseSet("system/*.cruds")
	if err := c.Check(context.Background(), &auth.Principal{Kind: auth.KindClient, Scopes: sys},
		auth.Request{ResourceType: "AuditEvent", Interaction: "delete"}); err == nil {
		t.Fatal("AuditEvent delete allowed")
	}
	if err := c.Check(context.Background(), nil, auth.Request{ResourceType: "Patient", Interaction: "read"}); fhir.KindOf(err) != fhir.KindUnauthorized {
		t.Fatal("no principal")
	}
}

func TestCheckDevMode(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true,
		":8080": false, "0.0.0.0:8080": false, "10.1.2.3:8080": false} {
		if err := auth.CheckDevMode(addr); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
}
