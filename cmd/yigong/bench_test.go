package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
)

func TestIntList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"1,4,8", []int{1, 4, 8}, false},
		{" 1 , 10", []int{1, 10}, false},
		{"10,1", nil, true},
		{"0", nil, true},
		{"x", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := intList(tt.in)
			if (err != nil) != tt.wantErr || !equalInts(got, tt.want) {
				t.Errorf("intList(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReidentify(t *testing.T) {
	t.Parallel()
	in := []byte(`{"resourceType":"Bundle","type":"transaction","entry":[
	{"fullUrl":"urn:uuid:aaaa","resource":{"resourceType":"Patient","identifier":[{"system":"s","value":"v1"}],
	  "name":[{"family":"Koepp","given":["Abdul"]}],"birthDate":"1990-01-31"},"request":{"method":"POST","url":"Patient"}},
	{"fullUrl":"urn:uuid:bbbb","resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:aaaa"},
	  "effectiveDateTime":"2020-03-01T10:00:00+08:00","valueQuantity":{"value":1.10}},"request":{"method":"POST","url":"Observation"}}]}`)
	a, err := reidentify(append([]byte(nil), in...), 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := reidentify(append([]byte(nil), in...), 3)
	if !bytes.Equal(a, b) {
		t.Error("not deterministic")
	}
	var got struct {
		Entry []struct {
			FullURL  string `json:"fullUrl"`
			Resource struct {
				Identifier []struct{ Value string }
				Name       []struct{ Family string }
				BirthDate  string
				Subject    struct{ Reference string }
				Effective  string `json:"effectiveDateTime"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(a, &got); err != nil {
		t.Fatal(err)
	}
	p, o := got.Entry[0], got.Entry[1]
	checks := []struct {
		name string
		ok   bool
	}{
		{"new fullUrl", p.FullURL != "urn:uuid:aaaa" && strings.HasPrefix(p.FullURL, "urn:uuid:")},
		{"reference follows fullUrl", o.Resource.Subject.Reference == p.FullURL},
		{"identifier", p.Resource.Identifier[0].Value == "v1-r3"},
		{"family", p.Resource.Name[0].Family != "Koepp" && !strings.HasPrefix(p.Resource.Name[0].Family, "Koepp")},
		{"birthDate shifted", p.Resource.BirthDate == shifted(t, "1990-01-31", 3)},
		{"dateTime shifted, time kept", o.Resource.Effective == shifted(t, "2020-03-01", 3)+"T10:00:00+08:00"},
		{"decimal kept", bytes.Contains(a, []byte(`"value":1.10`))},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %s", c.name, a)
		}
	}
}

// shifted is date moved as copy copyNo moves it: 37 days per copy.
func shifted(t *testing.T, date string, copyNo int) string {
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDate(0, 0, 37*copyNo).Format("2006-01-02")
}

func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("boots hubs")
	}
	t.Parallel()
	src := corpus.Path(t, "fhir", "synthea", "Clarence_Mills_0753ad6c-5935-4faa-9cfe-b7269e963d77.json")
	dir := t.TempDir()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "one.json"), data, 0o600)
	out := filepath.Join(t.TempDir(), "bench.md")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "fhir", "--store", "sqlite", "--scale", "1,2", "--clients", "1,2",
		"--queries", "2", "--reads", "5", "--corpus", dir, "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	md, _ := os.ReadFile(out)
	for _, want := range []string{"| sqlite | 1× | 1 |", "| sqlite | 1× | 2 |", "copies 2–2", "read `[type]/[id]`", "`Patient?name=`", "sqlite 2×"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if stdout.String() != string(md) {
		t.Error("stdout and --out differ")
	}
}
