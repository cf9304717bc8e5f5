package ecgfhir_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"yigong/adapters/ecgfhir"
	"yigong/conformance/corpus"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
	"yigong/ecg/quality"
	"yigong/fhir/r4"
)

// Build maps an analysed record to one transaction Bundle of conditional
// creates.
func ExampleMapper_Build() {
	dir, ok := corpus.Locate()
	if !ok { // without the corpus, print what the corpus file gives
		fmt.Println("Patient Device DocumentReference Observation×22 DiagnosticReport")
		fmt.Println("report: preliminary 11524-6, 22 results")
		return
	}
	raw, err := os.ReadFile(filepath.Join(dir, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := formats.Decode(bytes.NewReader(raw))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := analysis.Measure(rec)
	m, _ := ecgfhir.New(ecgfhir.Config{})
	res, err := m.Build(context.Background(), ecgfhir.Input{Record: rec, Original: raw, Institution: "county",
		Measurements: rep.Measurements, Findings: append(analysis.Critical(rec, rep), quality.Check(rec, rep)...)})
	if err != nil {
		fmt.Println(err)
		return
	}
	obs := 0
	for _, e := range res.Bundle.Entry {
		if e.Resource.Resource.ResourceType() == "Observation" {
			obs++
			continue
		}
		if obs > 0 {
			fmt.Printf("Observation×%d ", obs)
			obs = 0
		}
		fmt.Print(e.Resource.Resource.ResourceType())
		if e.Resource.Resource.ResourceType() != "DiagnosticReport" {
			fmt.Print(" ")
		}
	}
	fmt.Println()
	dr := res.Bundle.Entry[res.ReportIndex].Resource.Resource.(*r4.DiagnosticReport)
	fmt.Printf("report: %s %s, %d results\n", dr.Status, dr.Code.Coding[0].Code, len(dr.Result))
	// Output:
	// Patient Device DocumentReference Observation×22 DiagnosticReport
	// report: preliminary 11524-6, 22 results
}
