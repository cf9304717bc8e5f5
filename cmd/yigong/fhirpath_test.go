package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"yigong/conformance/corpus"
)

func TestCmdFHIRPath(t *testing.T) {
	t.Parallel()
	patient := corpus.Path(t, "fhir", "fhirpath-yaml", "resources", "patient-example.json")
	tests := []struct {
		name    string
		args    []string
		want    string // exact stdout without the trailing newline
		wantErr string
	}{
		{name: "given names", args: []string{"-r", patient, "Patient.name.where(use = 'official').given"},
			want: `["Peter","James"]`},
		{name: "complex node", args: []string{"-r", patient, "name.first()"},
			want: `[{"use":"official","family":"Chalmers","given":["Peter","James"]}]`},
		{name: "primitive with extension", args: []string{"-r", patient, "birthDate.extension.value"},
			want: `["1974-12-25T14:35:45-05:00"]`},
		{name: "system values", args: []string{"1 | 1.50 | 'a' | true | @2014-01 | 4 'mg' | 1 week"},
			want: `[1,1.50,"a",true,"2014-01","4 'mg'","1 week"]`},
		{name: "types", args: []string{"-r", patient, "--types", "gender | active.not()"},
			want: `[{"type":"FHIR.code","value":"male"},{"type":"System.Boolean","value":false}]`},
		{name: "type info", args: []string{"-r", patient, "gender.type()"},
			want: `[{"name":"code","namespace":"FHIR"}]`},
		{name: "syntax error", args: []string{"name.given."}, wantErr: "fhirpath: 1:12"},
		{name: "no expression", args: []string{"-r", patient}, wantErr: "exactly one EXPRESSION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := cmdFHIRPath(context.Background(), tt.args, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSuffix(stdout.String(), "\n")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("output is not JSON: %s", got)
			}
		})
	}
}

func TestCmdFHIRPathResourceOutput(t *testing.T) {
	t.Parallel()
	patient := corpus.Path(t, "fhir", "fhirpath-yaml", "resources", "patient-example.json")
	var stdout, stderr bytes.Buffer
	if err := cmdFHIRPath(context.Background(), []string{"-r", patient, "%resource"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0]["resourceType"] != "Patient" || out[0]["id"] != "example" {
		t.Errorf("got %s", stdout.String())
	}
}
