package patch_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"reflect"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/conformance/fhirtest"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirxml"
	"yigong/fhir/patch"
)

// patchCase is one <case> of the official fhir-patch-tests.xml.
type patchCase struct {
	Name   string `xml:"name,attr"`
	Mode   string `xml:"mode,attr"`
	Input  inner  `xml:"input"`
	Diff   inner  `xml:"diff"`
	Output *inner `xml:"output"`
	Error  *struct {
		Msg string `xml:"msg,attr"`
	} `xml:"error"`
}

type inner struct {
	XML string `xml:",innerxml"`
}

func jsonOf(t *testing.T, n *fhir.Node) any {
	t.Helper()
	b, err := fhirjson.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return fhirtest.JSONTree(t, b)
}

// TestFHIRPathPatchSuite runs every case of the official FHIRPath Patch
// tests (FHIR/fhir-test-cases r4/patch) through FHIRPath.
func TestFHIRPathPatchSuite(t *testing.T) {
	data, err := os.ReadFile(corpus.Path(t, "fhir", "patch", "fhir-patch-tests.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Cases []patchCase `xml:"case"`
	}
	if err := xml.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	if len(suite.Cases) != 33 {
		t.Fatalf("read %d cases, want 33", len(suite.Cases))
	}
	for _, c := range suite.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			in, err := fhirxml.Unmarshal([]byte(strings.TrimSpace(c.Input.XML)))
			if err != nil {
				t.Fatalf("input: %v", err)
			}
			diff, err := fhirxml.Unmarshal([]byte(strings.TrimSpace(c.Diff.XML)))
			if err != nil {
				t.Fatalf("diff: %v", err)
			}
			before := jsonOf(t, in)
			got, err := patch.FHIRPath(context.Background(), in, diff)
			if !reflect.DeepEqual(before, jsonOf(t, in)) {
				t.Error("the input tree was modified")
			}
			if c.Error != nil {
				if err == nil {
					t.Fatalf("applied, want error %q", c.Error.Msg)
				}
				if !strings.Contains(err.Error(), c.Error.Msg) {
					t.Errorf("error %q, want it to say %q", err, c.Error.Msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			want, err := fhirxml.Unmarshal([]byte(strings.TrimSpace(c.Output.XML)))
			if err != nil {
				t.Fatalf("output: %v", err)
			}
			if g, w := fhirtest.CanonicalDivs(jsonOf(t, got)), fhirtest.CanonicalDivs(jsonOf(t, want)); !reflect.DeepEqual(g, w) {
				gb, _ := json.Marshal(g)
				wb, _ := json.Marshal(w)
				t.Errorf("got  %s\nwant %s", gb, wb)
			}
		})
	}
}

// TestJSONPatchSuite runs the RFC 6902 cases of the official JSON Patch tests.
func TestJSONPatchSuite(t *testing.T) {
	data, err := os.ReadFile(corpus.Path(t, "fhir", "patch", "json-patch-tests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Comment  string          `json:"comment"`
		Doc      json.RawMessage `json:"doc"`
		Patch    json.RawMessage `json:"patch"`
		Expected json.RawMessage `json:"expected"`
		Error    string          `json:"error"`
		Disabled bool            `json:"disabled"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 16 {
		t.Fatalf("read %d cases, want 16", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Comment, func(t *testing.T) {
			t.Parallel()
			got, err := patch.JSONDocument(c.Doc, c.Patch)
			if c.Error != "" {
				if err == nil {
					t.Fatalf("applied (%s), want error: %s", got, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			var g, w any
			json.Unmarshal(got, &g)
			json.Unmarshal(c.Expected, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got %s, want %s", got, c.Expected)
			}
		})
	}
}

func TestJSONPatchOnResource(t *testing.T) {
	t.Parallel()
	p, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","id":"p1","name":[{"family":"王","given":["小东"]}],"gender":"male"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		patch   string
		wantErr string
		check   func(*fhir.Node) bool
	}{
		{"replace gender", `[{"op":"replace","path":"/gender","value":"female"}]`, "", func(n *fhir.Node) bool { return n.ChildValue("gender") == "female" }},
		{"add given", `[{"op":"add","path":"/name/0/given/-","value":"珅"}]`, "", func(n *fhir.Node) bool {
			return len(n.Child("name").ChildrenNamed("given")) == 2
		}},
		{"unknown element", `[{"op":"add","path":"/nickname","value":"x"}]`, "Patient.nickname", nil},
		{"bad code", `[{"op":"replace","path":"/birthDate","value":"1990-13-01"}]`, "", nil},
		{"change id", `[{"op":"replace","path":"/id","value":"p2"}]`, "id", nil},
		{"failed test", `[{"op":"test","path":"/gender","value":"female"}]`, "test failed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := patch.JSON(p, []byte(tt.patch))
			if tt.check == nil {
				if err == nil {
					t.Fatal("applied, want an error")
				}
				if fhir.KindOf(err) != fhir.KindInvalid {
					t.Errorf("kind %v", fhir.KindOf(err))
				}
				if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q lacks %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("patched wrongly: %v", jsonOf(t, got))
			}
		})
	}
}
