package empi

import (
	"encoding/json"
	"reflect"
	"testing"

	"yigong/fhir/r4"
	"yigong/profiles/cn"
)

func rec(id, fam, giv, dob string, sex cn.Sex, phone string, ids ...Identifier) Record {
	d, _ := parseDate(dob)
	r := Record{ID: id, Family: fam, Given: giv, BirthDate: d, Sex: sex, Region: "330127", Identifiers: ids}
	if phone != "" {
		r.Phones = []string{phone}
	}
	return r
}

func TestNameLevels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b string
		want Level
	}{
		{"王小东", "王 小东", nameExact},
		{"王小东", "王小東", nameExact},
		{"王小东", "王晓东", namePinyin},
		{"王明", "王宁", nameTypo}, // ming typed ning
		{"王小东", "王东小", nameSwapGiven},
		{"王小东", "王小龙", namePartial},
		{"王小东", "李建国", nameDifferent},
		{"单雄信", "單雄信", nameExact},
	}
	for _, c := range cases {
		a, b := compile(&Record{Given: c.a}), compile(&Record{Given: c.b})
		if got := nameLevel(&a, &b); got != c.want {
			t.Errorf("%s / %s: level %s, want %s", c.a, c.b, levelNames[FieldName][got], levelNames[FieldName][c.want])
		}
	}
}

func TestDateLevels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b int32
		want Level
	}{
		{19850312, 19850312, dobExact},
		{19850312, 19851203, dobTransposed},
		{19850312, 19580312, dobTransposed},
		{19850312, 19850313, dobOneDigit},
		{19850312, 19850720, dobSameYear},
		{19850312, 19620101, dobDifferent},
	}
	for _, c := range cases {
		if got := dateLevel(c.a, c.b); got != c.want {
			t.Errorf("%d / %d: %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestMatchRules(t *testing.T) {
	t.Parallel()
	id := cn.MakeResidentID("330127", cn.Date{Year: 1985, Month: 3, Day: 12}, 13)
	id15, _ := cn.Downgrade18(id)
	ix := NewIndex(Options{})
	ix.Add(rec("a", "王", "小东", "1985-03-12", cn.Male, "13800000001", Identifier{cn.SystemResidentID, id}))
	ix.Add(rec("b", "李", "建国", "1960-01-01", cn.Male, "13800000002"))

	// The alias OID and the 15-digit form find the same person, certainly.
	got := ix.Match(rec("q", "王", "晓东", "1985-03-12", cn.Male, "", Identifier{cn.SystemResidentIDHL7China, id15}), MatchOptions{})
	if len(got) != 1 || got[0].ID != "a" || got[0].Rule != RuleResidentID || got[0].Grade != GradeCertain {
		t.Fatalf("by ID: %+v", got)
	}
	// A child registered under the parent's ID is not linked by the rule.
	got = ix.Match(rec("c", "王", "子涵", "2019-05-01", cn.Female, "13800000001", Identifier{cn.SystemResidentID, id}), MatchOptions{MinGrade: GradeCertainlyNot})
	if len(got) != 1 || got[0].Rule != "" || got[0].Grade == GradeCertain {
		t.Fatalf("guardian ID: %+v", got)
	}
	// No identifier: name homophone, transposed date, same phone.
	got = ix.Match(rec("d", "王", "小冬", "1985-12-03", cn.Male, "13800000001"), MatchOptions{})
	if len(got) == 0 || got[0].ID != "a" || got[0].Grade != GradeCertain {
		t.Fatalf("probabilistic: %+v", got)
	}
	if got := ix.Match(rec("e", "王", "小东", "1985-03-12", cn.Male, ""), MatchOptions{MinGrade: GradeCertain, Count: 1}); len(got) != 1 {
		t.Fatalf("count/grade: %+v", got)
	}
	// Newborn twins, told apart only by the digit of their temporary
	// names, are never linked automatically.
	ix.Add(rec("t1", "李", "梅之子1", "2024-03-01", cn.Male, "13800000009"))
	for _, twin := range []string{"梅之子2", "梅之子２"} {
		for _, c := range ix.Match(rec("t2", "李", twin, "2024-03-01", cn.Male, "13800000009"), MatchOptions{MinGrade: GradeCertainlyNot}) {
			if c.ID == "t1" && c.Grade == GradeCertain {
				t.Errorf("twin 李%s: linked to 李梅之子1 as %s (%s)", twin, c.Grade, c.Rule)
			}
		}
	}
	if got := ix.Match(rec("t3", "李", "梅之子１", "2024-03-01", cn.Male, "13800000009"), MatchOptions{MinGrade: GradeCertain}); len(got) != 1 || got[0].ID != "t1" {
		t.Errorf("the same twin with a full-width digit: %+v", got)
	}
}

func TestPatientRoundTrip(t *testing.T) {
	t.Parallel()
	id := cn.MakeResidentID("330127", cn.Date{Year: 1985, Month: 3, Day: 12}, 13)
	r := Record{ID: "p1", Family: "欧阳", Given: "娜娜", BirthDate: cn.Date{Year: 1985, Month: 3, Day: 12}, Sex: cn.Female,
		Phones: []string{"13800000001"}, Region: "330127",
		Identifiers: []Identifier{{cn.SystemResidentID, id}, {cn.LocalSystem("H1", cn.Outpatient), "123"}}}
	p := ToPatient(r)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back r4.Patient
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got := FromPatient(&back, "")
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
	}
	// Alias system on input is canonicalised.
	back.Identifier[0].System = cn.SystemResidentIDHL7China
	if FromPatient(&back, "").Identifiers[0].System != cn.SystemResidentID {
		t.Error("alias not canonicalised")
	}
}

func TestPhoneticKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name r4.HumanName
		want []string
	}{
		{r4.HumanName{Family: "王", Given: []string{"小东"}}, []string{"wangxiaodong"}},
		{r4.HumanName{Text: "王小东"}, []string{"wangxiaodong"}},
		{r4.HumanName{Text: "單雄信"}, []string{"shanxiongxin"}},
		{r4.HumanName{Family: "Smith", Given: []string{"John"}}, []string{"smithjohn"}},
	}
	for _, c := range cases {
		if got := PhoneticKeys(c.name); len(got) == 0 || got[0] != c.want[0] {
			t.Errorf("PhoneticKeys(%+v) = %q, want %q", c.name, got, c.want)
		}
	}
	keys := PhoneticKeys(r4.HumanName{Family: "张", Given: []string{"乐"}})
	if len(keys) < 2 {
		t.Errorf("polyphonic 乐: %q", keys)
	}
	if got := PhoneticQuery("Wáng Xiǎo-dōng"); got != "wangxiaodong" {
		t.Errorf("PhoneticQuery = %q", got)
	}
}

func TestModelJSON(t *testing.T) {
	t.Parallel()
	m := DefaultModel()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.M, m.M) || back.Upper != m.Upper {
		t.Error("model JSON round trip")
	}
	if err := json.Unmarshal([]byte(`{"fields":{"nope":{}}}`), &back); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestReviewTask(t *testing.T) {
	t.Parallel()
	task := ReviewTask("Patient/1", "Patient/2", Candidate{Score: 0.8, Grade: GradeProbable, Weight: 12.5}, "2025-06-30T10:00:00+08:00", nil)
	if task.Status != "requested" || len(task.Input) != 5 || task.Input[1].ValueReference.Reference != "Patient/2" {
		t.Errorf("task %+v", task)
	}
	if s := SearchEntry(Candidate{Score: 1, Grade: GradeCertain}); s.Extension[0].ValueCode != "certain" || s.Mode != "match" {
		t.Errorf("search entry %+v", s)
	}
}
