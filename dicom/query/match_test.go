package query_test

import (
	"testing"

	"yigong/dicom"
	"yigong/dicom/charset"
	"yigong/dicom/query"
)

func TestWildcard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, value string
		fold, want     bool
	}{
		{"CT", "CT", false, true},
		{"CT", "MR", false, false},
		{"C*", "CT", false, true},
		{"*", "", false, true},
		{"C?", "CT", false, true},
		{"C?", "C", false, false},
		{"王?", "王五", false, true},
		{"王?", "王小东", false, false},
		{"王*", "王^小东", false, true},
		{"*东", "王^小东", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"wang*", "WANG^XIAODONG", true, true},
		{"wang*", "WANG^XIAODONG", false, false},
		{"**x", "abx", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"|"+tc.value, func(t *testing.T) {
			if got := query.Wildcard(tc.pattern, tc.value, tc.fold); got != tc.want {
				t.Errorf("Wildcard(%q, %q, %v) = %v, want %v", tc.pattern, tc.value, tc.fold, got, tc.want)
			}
		})
	}
}

func TestMatchPersonName(t *testing.T) {
	t.Parallel()
	const name = "Wang^XiaoDong=王^小东="
	tests := []struct {
		pattern string
		fold    bool
		want    bool
	}{
		{"王*", false, true}, // one group: any group of the candidate
		{"王^小东", false, true},
		{"王^小东^^^", false, true},
		{"Wang*", false, true},
		{"wang*", false, false},
		{"wang*", true, true},
		{"Wang^XiaoDong", false, true},
		{"=王*", false, true},      // ideographic group only
		{"Wang*=王*", false, true}, // both groups
		{"Wang*=李*", false, false},
		{"李*", false, false},
		{"*", false, true},
		{"", false, true},
		{"=王^小?", false, true},
		{"Zhang*", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			if got := query.MatchPersonName(tc.pattern, name, tc.fold); got != tc.want {
				t.Errorf("MatchPersonName(%q, %q, fold=%v) = %v, want %v", tc.pattern, name, tc.fold, got, tc.want)
			}
		})
	}
}

func candidate(t *testing.T) *dicom.Dataset {
	t.Helper()
	ds := dicom.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ds.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "GB18030"))
	must(ds.SetStrings(dicom.TagPatientName, dicom.PN, "Zhang^Jin=张^璡="))
	must(ds.SetStrings(dicom.TagPatientID, dicom.LO, "P123"))
	must(ds.SetStrings(dicom.TagStudyDate, dicom.DA, "20240315"))
	must(ds.SetStrings(dicom.NewTag(0x0008, 0x0030), dicom.TM, "101530"))
	must(ds.SetStrings(dicom.TagModality, dicom.CS, "CT"))
	must(ds.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, "1.2.3.4"))
	must(ds.SetStrings(dicom.NewTag(0x0008, 0x0061), dicom.CS, "CT", "SR"))
	item := dicom.NewItem(ds)
	must(item.SetStrings(dicom.NewTag(0x0008, 0x1150), dicom.UI, "1.2.840.10008.5.1.4.1.1.2"))
	must(item.SetStrings(dicom.NewTag(0x0008, 0x1155), dicom.UI, "9.8.7"))
	ds.SetItems(dicom.NewTag(0x0008, 0x1110), item)
	return ds
}

func TestMatch(t *testing.T) {
	t.Parallel()
	ds := candidate(t)
	type key struct {
		tag dicom.Tag
		vr  dicom.VR
		val []string
	}
	tests := []struct {
		name string
		keys []key
		cs   string // Specific Character Set of the query
		want bool
	}{
		{"universal", []key{{dicom.TagPatientName, dicom.PN, nil}}, "", true},
		{"single value", []key{{dicom.TagPatientID, dicom.LO, []string{"P123"}}}, "", true},
		{"single value mismatch", []key{{dicom.TagPatientID, dicom.LO, []string{"P12"}}}, "", false},
		{"wildcard", []key{{dicom.TagPatientID, dicom.LO, []string{"P1*"}}}, "", true},
		{"pn ideographic in UTF-8 query", []key{{dicom.TagPatientName, dicom.PN, []string{"张*"}}}, "ISO_IR 192", true},
		{"pn ideographic in GB18030 query", []key{{dicom.TagPatientName, dicom.PN, []string{"张^璡"}}}, "GB18030", true},
		{"pn alphabetic folded", []key{{dicom.TagPatientName, dicom.PN, []string{"ZHANG*"}}}, "", true},
		{"pn other", []key{{dicom.TagPatientName, dicom.PN, []string{"李*"}}}, "ISO_IR 192", false},
		{"date range", []key{{dicom.TagStudyDate, dicom.DA, []string{"20240101-20240331"}}}, "", true},
		{"date open start", []key{{dicom.TagStudyDate, dicom.DA, []string{"-20240315"}}}, "", true},
		{"date open end", []key{{dicom.TagStudyDate, dicom.DA, []string{"20240316-"}}}, "", false},
		{"date single", []key{{dicom.TagStudyDate, dicom.DA, []string{"20240315"}}}, "", true},
		{"time range", []key{{dicom.NewTag(0x0008, 0x0030), dicom.TM, []string{"1000-1100"}}}, "", true},
		{"time range miss", []key{{dicom.NewTag(0x0008, 0x0030), dicom.TM, []string{"1100-"}}}, "", false},
		{"uid list", []key{{dicom.TagStudyInstanceUID, dicom.UI, []string{"1.2.3", "1.2.3.4"}}}, "", true},
		{"uid list miss", []key{{dicom.TagStudyInstanceUID, dicom.UI, []string{"1.2.3", "1.2.3.5"}}}, "", false},
		{"uid no wildcard", []key{{dicom.TagStudyInstanceUID, dicom.UI, []string{"1.2.*"}}}, "", false},
		{"multi-valued candidate", []key{{dicom.NewTag(0x0008, 0x0061), dicom.CS, []string{"SR"}}}, "", true},
		{"absent attribute", []key{{dicom.TagAccessionNumber, dicom.SH, []string{"A1"}}}, "", false},
		{"absent attribute star", []key{{dicom.TagAccessionNumber, dicom.SH, []string{"*"}}}, "", true},
		{"two keys, one fails", []key{{dicom.TagPatientID, dicom.LO, []string{"P123"}}, {dicom.TagModality, dicom.CS, []string{"MR"}}}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := dicom.New()
			if tc.cs != "" {
				if err := q.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, tc.cs); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range tc.keys {
				if err := q.SetStrings(k.tag, k.vr, k.val...); err != nil {
					t.Fatal(err)
				}
			}
			if got := query.Match(q, ds, &query.Options{FoldCase: true}); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSequenceMatch(t *testing.T) {
	t.Parallel()
	ds := candidate(t)
	seq := dicom.NewTag(0x0008, 0x1110)
	for _, tc := range []struct {
		name string
		inst string
		want bool
	}{{"match", "9.8.7", true}, {"miss", "9.8.6", false}, {"empty item", "", true}} {
		t.Run(tc.name, func(t *testing.T) {
			q := dicom.New()
			it := dicom.NewItem(q)
			if tc.inst != "" {
				_ = it.SetStrings(dicom.NewTag(0x0008, 0x1155), dicom.UI, tc.inst)
			}
			q.SetItems(seq, it)
			if got := query.Match(q, ds, nil); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResponse(t *testing.T) {
	t.Parallel()
	ds := candidate(t)
	q := dicom.New()
	_ = q.SetStrings(dicom.NewTag(0x0008, 0x0052), dicom.CS, "STUDY")
	_ = q.SetStrings(dicom.TagPatientName, dicom.PN)
	_ = q.SetStrings(dicom.TagAccessionNumber, dicom.SH)
	r := query.Response(q, ds)
	pn, err := r.PersonName(dicom.TagPatientName)
	if err != nil {
		t.Fatal(err)
	}
	if pn.Ideographic.Family != "张" || pn.Ideographic.Given != "璡" {
		t.Errorf("PatientName = %+v", pn)
	}
	if r.Charset().Terms()[0] != "GB18030" {
		t.Errorf("charset = %v", r.Charset().Terms())
	}
	if !r.Has(dicom.TagAccessionNumber) || r.Text(dicom.NewTag(0x0008, 0x0052)) != "STUDY" || r.Has(dicom.TagPatientID) {
		t.Errorf("response keys wrong:\n%v", r)
	}
	_ = charset.Default()
}
